"""Normalization, tokens and keys: what counts as the same text, in several scripts."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.dedup import Fingerprint, fingerprint
from pipeline.dedup.minhash import sketch_similarity
from pipeline.dedup.text import normalize, shingles, tokens
from tests.unit.test_dedup_corpus import RATES

T0 = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
BODY = "\n\n".join(RATES)


def test_normalize_casefolds_strips_punctuation_and_collapses_whitespace() -> None:
    assert normalize("  Hello,  WORLD!\n“Quoted” — U.S.\tSTRASSE straße ") == (
        "hello world quoted u s strasse strasse"
    )


def test_combining_marks_stay_inside_their_words() -> None:
    assert tokens("नमस्ते, दुनिया!") == ["नमस्ते", "दुनिया"]
    assert tokens("مَرْحَبًا بِالعالم.") == ["مَرْحَبًا", "بِالعالم"]


def test_unspaced_scripts_are_tokenized_per_character() -> None:
    assert tokens("北京今天下雨。") == ["北", "京", "今", "天", "下", "雨"]
    assert tokens("Apple发布iPhone 16") == ["apple", "发", "布", "iphone", "16"]


def test_shingles_are_distinct_ngrams_and_short_texts_are_one_shingle() -> None:
    assert list(shingles(["a", "b", "c", "a", "b", "c"], 3)) == [b"a b c", b"b c a", b"c a b"]
    assert list(shingles(["just", "two"], 4)) == [b"just two"]
    assert list(shingles([], 4)) == []


def fp(
    body: str, title: str | None = None, source: str = "s", url: str = "https://a.example/"
) -> Fingerprint:
    return fingerprint("id", url, source, title, body, T0)


def test_content_key_ignores_typography_but_not_words() -> None:
    retyped = BODY.replace("“", '"').replace("”", '"').replace("\n\n", "\n \n").upper()
    assert fp(BODY).content_key == fp(retyped).content_key
    assert fp(BODY).content_key != fp(BODY.replace("seven to two", "eight to one")).content_key


def test_title_key_is_per_source_and_normalized() -> None:
    title = "Dockworkers strike shuts Port Halden"
    assert fp(BODY, title).title_key == fp(BODY, f"  {title.upper()}!").title_key
    assert fp(BODY, title).title_key != fp(BODY, title, source="other").title_key
    assert fp(BODY, "Live updates").title_key is None, "too short to identify a story"


def test_keys_do_not_depend_on_id_or_url_except_the_url_key() -> None:
    a, b = fp(BODY), fp(BODY, url="https://b.example/")
    assert (a.content_key, a.band_keys, a.sketch) == (b.content_key, b.band_keys, b.sketch)
    assert a.url_key != b.url_key


def test_keys_are_stable_across_versions_and_platforms() -> None:
    """Golden values: if this fails, hashing changed and existing state no longer matches
    new stories (start from empty state or change ``lsh_namespace``)."""
    story = fp(BODY)
    assert story.content_key == "content:eb931033e47ca22e2bcfc619f0bbae74"
    # format 2's keys, still read until the buckets written before format 3 expire
    assert story.legacy_band_keys[0] == "lsh:00:96baf093b7fda7d6"
    assert story.legacy_band_keys[31] == "lsh:31:3bf15ac83708d25d"
    assert len(story.legacy_band_keys) == 32 and len(set(story.legacy_band_keys)) == 32
    assert story.sketch is not None and story.sketch.startswith("Es7kfUC36IeZGUfC")
    assert story.band_keys[0] == "b:SV-t-vT_"
    assert story.band_keys[17] == "b:_tQpCsVJ"
    assert len(story.band_keys) == 18 and len(set(story.band_keys)) == 18
    assert story.record_key == "sk:GW5B_2PGow"


RAIN = (
    "北京市气象台今天发布暴雨蓝色预警，预计今天夜间到明天白天，本市大部分地区将出现中到大雨，"
    "局地暴雨，并伴有雷电和短时大风。市防汛办提醒市民尽量减少外出，注意防范山洪和城市内涝。"
)
RAIN_COPY = "据新华社报道，" + RAIN.replace("尽量减少外出", "减少不必要的外出")
EXCHANGE = (
    "上海证券交易所今天发布公告，将于下月起调整部分上市公司的信息披露规则，要求企业更及时地"
    "公布重大事项，并加强对违规行为的处罚力度。市场人士认为，新规有助于保护中小投资者的利益。"
)


def test_chinese_copies_are_near_duplicates_and_other_chinese_stories_are_not() -> None:
    rain, copy, other = fp(RAIN), fp(RAIN_COPY), fp(EXCHANGE)
    assert rain.sketch and copy.sketch and other.sketch
    assert sketch_similarity(rain.sketch, copy.sketch) >= 0.5
    assert set(rain.band_keys) & set(copy.band_keys)
    assert sketch_similarity(rain.sketch, other.sketch) < 0.2
