"""URL normalisation: one story, one URL, whichever link, app or feed it came through.

Why it matters: the canonical URL is the story's id (``wire.models.article_id``) and
the dedup key, so every variant of a link must collapse to one string, and the function
must be idempotent. Rules:

* scheme and host lower-cased, default port and fragment dropped, path percent-encoding
  normalised (courlan, non-strict: its strict mode drops every query parameter it does
  not know, such as ``?storyid=``, and would merge different stories);
* tracking and session parameters removed (``utm_*``, ``fbclid``, ``gclid``, ``sid``...),
  the others kept and sorted;
* AMP and mobile variants folded: ``/amp/``, ``/amphtml/``, ``.amp``, ``?amp=1``,
  ``?outputType=amp``, ``m.example.com`` / ``mobile.`` / ``amp.`` -> ``example.com``.
  ``www.`` is kept: it is part of the publisher's real address.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from courlan import normalize_url as courlan_normalize

# exact query keys that identify a visit, not a page: click ids, referrers, share and
# feed markers, AMP switches, then session ids
_TRACKING_KEY_NAMES = """
    fbclid gclid gclsrc dclid msclkid yclid twclid ttclid igshid igsh mc_cid mc_eid _ga _gl
    _hsenc _hsmi mkt_tok ref ref_src ref_url referrer referer src source cmpid icid ito ncid
    sr_share spm share shared smid smtyp at_medium at_campaign at_custom1 at_custom2 xtor
    wt_mc wt.mc_id ocid s_cid rss feed via trk trkcampaign sc_cid fb_action_ids
    fb_action_types fb_source action_object_map action_type_map action_ref_map
    amp outputtype output _amp usqp amp_js_v amp_gsa ampshare __twitter_impression
    sid sessionid session_id phpsessid jsessionid aspsessionid cfid cftoken zenid oscsid s_sess
"""
_TRACKING_KEYS = frozenset(_TRACKING_KEY_NAMES.split())
# key prefixes of campaign tracking families
_TRACKING_PREFIXES = ("utm_", "utm-", "pk_", "mtm_", "matomo_", "hsa_", "oly_", "vero_", "ga_")
_OUTPUT_AMP = frozenset({"amp", "amp.html"})
_SESSION_PATH_PARAM = re.compile(r";(?:jsessionid|phpsessid|sid|sessionid)=[^/?#]*", re.I)
_AMP_PATH = (
    (re.compile(r"^/(?:amp|amphtml)(?=/)"), ""),  # /amp/2022/04/story -> /2022/04/story
    (re.compile(r"/(?:amp|amphtml)/$"), "/"),  # /story/amp/ -> /story/
    (re.compile(r"/(?:amp|amphtml)$"), ""),  # /story/amp -> /story
    (re.compile(r"/(?:amp|amphtml)/(?=.)"), "/"),  # /news/amp/story -> /news/story
    (re.compile(r"\.amp(?=\.html?$)"), ""),  # story.amp.html -> story.html
    (re.compile(r"(?<=[\w-])\.amp$"), ""),  # story.amp -> story
)
_MOBILE_HOST = re.compile(r"^(?:m|mobile|amp|mob)\.(?=[^.]+\.[^.]+)")


def _is_tracking(key: str, value: str) -> bool:
    key = key.lower()
    if key in ("outputtype", "output"):
        return value.lower() in _OUTPUT_AMP
    return key in _TRACKING_KEYS or key.startswith(_TRACKING_PREFIXES)


def _host(netloc: str) -> str:
    userinfo, _, hostport = netloc.rpartition("@")
    host = _MOBILE_HOST.sub("", hostport.lower().rstrip("."))
    return f"{userinfo}@{host}" if userinfo else host


def _path(path: str) -> str:
    path = _SESSION_PATH_PARAM.sub("", path)
    for pattern, replacement in _AMP_PATH:
        path = pattern.sub(replacement, path)
    return path or "/"


WEB_SCHEMES = frozenset({"http", "https"})


def is_web_url(url: str | None) -> bool:
    """Whether ``url`` is an absolute ``http``/``https`` URL with a host.

    The one rule for what newswire stores as a story's URL, its image or a link (issue 13,
    8): ``javascript:``, ``data:``, ``file:``, ``ftp:``, ``mailto:`` and the like are
    refused, because whatever renders the field (Kibana, API clients) would follow them.
    ``urlsplit`` drops tabs and newlines first, as browsers do (``java\tscript:``).
    """
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)


def is_web_or_relative(url: str | None) -> bool:
    """A web URL, or a reference without a scheme that a page's URL will make one (a
    relative ``/img/a.jpg`` or ``//cdn.example/a.jpg``): what page metadata may keep."""
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return not parts.scheme or is_web_url(url)


def normalize_url(url: str) -> str:
    """The one form of ``url`` used as story id and dedup key (idempotent).

    Non-HTTP(S) input, or input that cannot be parsed, comes back stripped but unchanged.
    """
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k, v)
    ]
    bare = urlunsplit((parts.scheme, _host(parts.netloc), _path(parts.path), "", ""))
    try:
        base = str(courlan_normalize(bare))
    except (ValueError, AttributeError):
        base = bare
    if not query:
        return base
    return f"{base}?{urlencode(sorted(query), doseq=True)}"


def resolve_canonical(candidates: list[str | None], page_url: str) -> str:
    """The first usable canonical link among ``candidates``, normalised; else the page URL.

    A canonical that points at the site's front page while the page itself is deeper is a
    template bug, not a redirect: it would merge every story of the site into one.
    """
    page_path = urlsplit(page_url).path.strip("/")
    for candidate in candidates:
        if not candidate:
            continue
        absolute = urljoin(page_url, candidate.strip())
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            continue
        if page_path and not parts.path.strip("/") and not parts.query:
            continue
        return normalize_url(absolute)
    return normalize_url(page_url)


def same_story_url(a: str, b: str) -> bool:
    """Whether two URLs name the same story once normalised."""
    return normalize_url(a) == normalize_url(b)
