"""OPML import and export: folders as tags, ids, round trips, hostile and real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.sdk.opml import OpmlError, export_opml, import_opml, slug
from connectors.sdk.sources import Source, load_sources
from newswire.cli.main import app
from newswire.cli.sources import append_sources

LIST = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="News">
      <outline text="World">
        <outline type="rss" text="Steppe Courier" title="Steppe Courier"
                 xmlUrl="https://steppe.example/feed.xml" htmlUrl="https://steppe.example/"/>
        <outline type="rss" text="Steppe Courier" xmlurl="https://steppe.example/world.xml"/>
      </outline>
      <outline type="rss" text="Kabul Evening" XMLURL="feed://kabul.example/rss"/>
    </outline>
    <outline text="Caf\xc3\xa9 &amp; Politique" title="Caf\xc3\xa9 &amp; Politique"
             type="rss" xmlUrl="https://cafe.example/feed"/>
    <outline type="rss" text="\xe6\x9d\xb1\xe4\xba\xac\xe6\x96\xb0\xe8\x81\x9e"
             xmlUrl="https://www.tokyo.example/rss"/>
    <outline text="A bookmark, not a feed" url="https://example.com/"/>
    <outline text="Tech">
      <outline type="rss" text="Again" xmlUrl="https://steppe.example/feed.xml"/>
    </outline>
    <outline text="Broken" xmlUrl="not a url"/>
  </body>
</opml>
"""


def test_import_turns_folders_into_tags_and_titles_into_ids() -> None:
    result = import_opml(LIST, country="kz")
    by_id = {s.id: s for s in result.sources}
    assert list(by_id) == [
        "steppe-courier",
        "steppe-courier-2",
        "kabul-evening",
        "cafe-politique",
        "www-tokyo-example",
    ]
    assert by_id["steppe-courier"].tags == ["News", "World", "Tech"]  # listed twice: merged
    assert by_id["steppe-courier"].config == {"url": "https://steppe.example/feed.xml"}
    assert by_id["kabul-evening"].tags == ["News"]
    assert by_id["kabul-evening"].config["url"] == "http://kabul.example/rss"
    assert by_id["cafe-politique"].name == "Café & Politique" and by_id["cafe-politique"].tags == []
    assert by_id["www-tokyo-example"].name == "東京新聞"
    assert all(s.connector == "rss" and s.country == "KZ" for s in result.sources)
    assert len(result.duplicates) == 1 and "steppe.example/feed.xml" in result.duplicates[0]
    assert len(result.skipped) == 2
    assert result.skipped[0].startswith("line 17:") and "no xmlUrl" in result.skipped[0]
    assert result.skipped[1].startswith("line 21:") and "xmlUrl 'not a url'" in result.skipped[1]


def test_ids_avoid_those_already_taken() -> None:
    taken = [
        Source(id="steppe-courier", connector="rss", config={"url": "https://other.example/"}),
        Source(id="kabul-evening", connector="archive", config={"path": "/tmp"}),
    ]
    result = import_opml(LIST, existing=taken)
    assert [s.id for s in result.sources][:3] == [
        "steppe-courier-2",
        "steppe-courier-3",
        "kabul-evening-2",
    ]


def test_slug() -> None:
    assert slug("  Le Monde — International  ") == "le-monde-international"
    assert slug("Ärzte Zeitung") == "arzte-zeitung"
    assert slug("Новости") == ""
    assert len(slug("x" * 200)) == 48


SOURCES = [
    Source(
        id="dawn",
        connector="rss",
        name="Dawn",
        config={"url": "https://www.dawn.com/feeds/home", "max_entries": 30},
        interval=900,
        country="PK",
        tags=["regional", "south-asia"],
    ),
    Source(
        id="kabulnow",
        connector="rss",
        config={"url": "https://kabulnow.com/feed/"},
        interval=1800.5,
        country="AF",
        tags=["regional", "afghanistan"],
    ),
    Source(
        id="world",
        connector="rss",
        name="World & more",
        config={"url": "https://w.example/rss?a=1&b=2"},
        tags=["regional"],
        enabled=False,
    ),
    Source(id="plain", connector="rss", name="Plain", config={"url": "https://p.example/atom"}),
]


def test_export_then_import_gives_the_same_sources() -> None:
    others = [Source(id="demo", connector="archive", config={"path": "builtin:demo"})]
    data = export_opml(SOURCES + others)
    assert b"builtin:demo" not in data  # only feeds are exported
    again = import_opml(data)
    assert again.sources == SOURCES
    assert again.skipped == [] and again.duplicates == []


def test_export_nests_tags_as_folders() -> None:
    from lxml import etree

    root = etree.fromstring(export_opml(SOURCES))
    regional = root.find("body/outline[@text='regional']")
    assert regional is not None and regional.get("xmlUrl") is None
    nested = regional.find("outline[@text='south-asia']/outline")
    assert nested is not None and nested.get("xmlUrl") == "https://www.dawn.com/feeds/home"
    assert root.find("body/outline[@text='Plain']") is not None


def test_entities_are_not_expanded_and_nothing_is_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    evil = f"""<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY xxe SYSTEM "file://{secret}">
  <!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
]>
<opml version="1.0"><body>
  <outline text="&xxe;&b;" xmlUrl="https://evil.example/feed"/>
</body></opml>""".encode()
    result = import_opml(evil)
    assert len(result.sources) == 1
    assert "TOP-SECRET" not in str(result.sources[0].name)
    assert "aaaa" not in str(result.sources[0].name)


@pytest.mark.parametrize(
    "data", [b"", b"not xml at all", b"<rss><channel/></rss>", b"<opml version='2.0'/>"]
)
def test_what_is_not_opml_is_an_error(data: bytes) -> None:
    with pytest.raises(OpmlError):
        import_opml(data)


def test_tolerates_bare_ampersands_and_html_entities() -> None:
    sloppy = b"""<opml><body><outline text="Q&A" xmlUrl="https://q.example/rss?x=1&y=2"/>
    <outline text="Caf&eacute;&nbsp;News" xmlUrl="https://c.example/rss"/></body></opml>"""
    result = import_opml(sloppy)
    assert [s.config["url"] for s in result.sources] == [
        "https://q.example/rss?x=1&y=2",
        "https://c.example/rss",
    ]


def test_every_real_opml_file_imports(shared_dir: Path) -> None:
    files = sorted((shared_dir / "corpus/feeds/opml").rglob("*.opml"))
    files += sorted((shared_dir / "corpus/feeds/netnewswire").glob("*.opml"))
    assert len(files) >= 59
    total = 0
    for path in files:
        result = import_opml(path.read_bytes())
        assert result.sources, path
        ids = [s.id for s in result.sources]
        assert len(ids) == len(set(ids)), path
        total += len(result.sources)
    italy = import_opml(
        (shared_dir / "corpus/feeds/opml/awesome-rss-feeds/countries/Italy.opml").read_bytes()
    )
    assert all(s.tags == ["Italy"] for s in italy.sources)
    urls = {s.config["url"] for s in italy.sources}  # bare "&" in the file: kept whole
    assert (
        "https://www.ilmattino.it/?sez=XML&args&p=search&args[box]=Home&limit=20&layout=rss" in urls
    )
    assert total > 500


# -- the command line --------------------------------------------------------------------

EXISTING = """# My sources: hand-written, with comments to keep.
sources:
  - id: demo
    connector: archive
    config: {path: "builtin:demo"}   # offline stories

  # Steppe
  - id: steppe-courier
    connector: rss
    config: {url: "https://steppe.example/feed.xml?utm_source=x"}
    tags: [mine]
# the end
"""


def test_cli_import_merges_keeping_ids_comments_and_reporting_duplicates(tmp_path: Path) -> None:
    opml_file = tmp_path / "list.opml"
    opml_file.write_bytes(LIST)
    target = tmp_path / "sources.yaml"
    target.write_text(EXISTING)
    result = CliRunner().invoke(
        app, ["sources", "import-opml", str(opml_file), "-o", str(target), "--country", "kz"]
    )
    assert result.exit_code == 0, result.output
    assert "4 feeds added" in " ".join(result.output.split())
    text = target.read_text()
    assert text.startswith(EXISTING.split("# the end")[0])  # the existing text is untouched
    assert text.rstrip().endswith("# the end") and "# offline stories" in text
    sources = load_sources(target)
    assert [s.id for s in sources] == [
        "demo",
        "steppe-courier",
        "steppe-courier-2",
        "kabul-evening",
        "cafe-politique",
        "www-tokyo-example",
    ]
    assert sources[3].country == "KZ" and sources[3].tags == ["News"]
    assert "already followed as 'steppe-courier'" in " ".join(result.output.split())

    again = CliRunner().invoke(app, ["sources", "import-opml", str(opml_file), "-o", str(target)])
    assert again.exit_code == 0 and "0 feeds added" in " ".join(again.output.split())
    assert target.read_text() == text


def test_cli_import_into_a_new_file_and_export_back(tmp_path: Path) -> None:
    opml_file = tmp_path / "list.opml"
    opml_file.write_bytes(export_opml(SOURCES))
    target = tmp_path / "new.yaml"
    runner = CliRunner()
    assert (
        runner.invoke(app, ["sources", "import-opml", str(opml_file), "-o", str(target)]).exit_code
        == 0
    )
    assert [s.model_dump() for s in load_sources(target)] == [s.model_dump() for s in SOURCES]
    exported = tmp_path / "out.opml"
    result = runner.invoke(app, ["sources", "export-opml", "-s", str(target), "-o", str(exported)])
    assert result.exit_code == 0, result.output
    assert import_opml(exported.read_bytes()).sources == SOURCES


def test_cli_rejects_a_bad_country(tmp_path: Path) -> None:
    opml_file = tmp_path / "list.opml"
    opml_file.write_bytes(LIST)
    result = CliRunner().invoke(
        app,
        [
            "sources",
            "import-opml",
            str(opml_file),
            "--country",
            "Kazakhstan",
            "-o",
            str(tmp_path / "s.yaml"),
        ],
    )
    assert result.exit_code == 1 and not (tmp_path / "s.yaml").exists()


def test_append_to_a_flow_style_list_rewrites_it() -> None:
    text = append_sources("sources: []\n", SOURCES[:1])
    assert "dawn" in text and "sources:" in text


def test_append_to_a_list_at_column_zero() -> None:
    text = append_sources(
        "sources:\n- id: a\n  connector: rss\n  config: {url: 'https://a.example/'}", SOURCES[3:]
    )
    assert text.endswith(
        "- id: plain\n  connector: rss\n  name: Plain\n  config: {url: 'https://p.example/atom'}\n"
    )
