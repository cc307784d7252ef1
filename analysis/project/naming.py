"""Names for new events: a stable id and a short chart label from a title (what the title and
date are is read by `analysis.project.facts`).

`python -m analysis add FILES...` meets files named by their owners and exported by ASR
tools, so everything here is a pure, deterministic function of its arguments:

event_id(title)          `Freda的投资札记 第2集` -> `freda_tou_zi_zha_ji_2`
short_label(title)       a chart label of at most 18 CJK-character widths

Id rules. The title is NFKC-normalised (full-width letters and digits become ASCII) and
episode markers are taken out first: `第2集`/`第十二期` become the bare number (`2`, `12`);
`Vol95`, `VOL.95`, `Vol 95` become `vol95`; `E146`, `EP146`, `Ep.146` become `e146`; `No.86`
becomes `no86`. The rest is segmented with jieba (an engine of its own, no user dictionary,
no HMM, so that unknown words never merge differently from one run to the next); each
Chinese word becomes its pinyin syllables without tones, each syllable a part of the id
(`投资` -> `tou_zi`, as in the target `freda_tou_zi_zha_ji_2`); Latin words stay whole and
lower-cased (`Freda` -> `freda`, accents dropped); numbers are kept; the function words
的 了 和 与 及 以及 之 跟 或 吗 呢 吧 啊 呀 嘛 are dropped when they stand alone as a jieba
word; punctuation, emoji and other scripts are dropped. Words are joined with `_`. An id
that would start with a digit gets the prefix `e_`. Ids are cut to `max_len` between jieba
words (only a single word longer than `max_len` is cut inside, at a syllable where
possible). A title with nothing usable gives `event`. Ids in `taken` get `_2`, `_3`, ...

"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from pypinyin import lazy_pinyin

__all__ = ["event_id", "short_label"]

# ---------------------------------------------------------------------------- segmentation


@lru_cache(maxsize=2)
def _engine(name: str):
    """A dedicated jieba engine (never jieba's global one), HMM off, default dictionary."""
    if name == "rjieba":
        import rjieba

        engine = rjieba.Jieba()
        return lambda text: list(engine.cut(text, False))
    import jieba

    engine = jieba.Tokenizer()
    return lambda text: engine.lcut(text, HMM=False)


def _default_engine() -> str:
    try:
        import rjieba  # noqa: F401
    except ImportError:  # pragma: no cover - rjieba is a dependency; jieba cuts the same
        return "jieba"
    return "rjieba"


def _cut(text: str, engine: str | None = None) -> list[str]:
    """jieba words of `text` (rjieba and jieba give the same words with HMM off)."""
    return _engine(engine or _default_engine())(text) if text else []


# ---------------------------------------------------------------------------- episodes

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def _cn_number(text: str) -> int | None:
    """`十二` -> 12, `一百零五` -> 105, `12` -> 12; None when it is not a number."""
    if text.isdecimal():
        return int(text)
    total, digit = 0, None
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[char]
            digit = None
        else:
            return None
    return total + (digit or 0)


# One marker per alternative; the lookbehinds stop `THE146` or `S2E14` from matching, and
# a bare `E` must touch its number (`E 3` is too often not an episode).
_EPISODE = re.compile(
    r"(?P<cn>第\s*(?P<cn_n>\d{1,5}|[零〇一二两三四五六七八九十百千]{1,6})\s*"
    r"(?P<cn_unit>[集期回话讲课]))"
    r"|(?<![A-Za-z0-9])(?P<vol>(?i:vol(?:ume)?))\s?\.?\s?(?P<vol_n>\d{1,5})(?!\d)"
    r"|(?<![A-Za-z0-9])(?P<ep>EP|Ep|ep|(?i:episode))\s?\.?\s?(?P<ep_n>\d{1,5})(?!\d)"
    r"|(?<![A-Za-z0-9])E(?P<e_n>\d{1,5})(?!\d)"
    r"|(?<![A-Za-z0-9])(?:No|NO)\s?\.?\s?(?P<no_n>\d{1,5})(?!\d)"
    r"|(?<![A-Za-z0-9])no\.\s?(?P<no2_n>\d{1,5})(?!\d)"
)


def _episode_parts(match: re.Match) -> tuple[str, str]:
    """(label form, id form) of one episode match: (`Vol95`, `vol95`), (`第2集`, `2`)."""
    if match["cn"]:
        n = _cn_number(match["cn_n"])
        return f"第{n}{match['cn_unit']}", str(n)
    if match["vol_n"]:
        return f"Vol{int(match['vol_n'])}", f"vol{int(match['vol_n'])}"
    if match["ep_n"] or match["e_n"]:
        n = int(match["ep_n"] or match["e_n"])
        return f"E{n}", f"e{n}"
    n = int(match["no_n"] or match["no2_n"])
    return f"No.{n}", f"no{n}"


# full-width ASCII (`ＶＯＬ．９５`) read as ASCII, one character for one, so that match
# positions are positions in the original text
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _episodes(text: str) -> list[re.Match]:
    """Episode markers of `text`, in order (spans are spans of `text`)."""
    return list(_EPISODE.finditer(text.translate(_HALFWIDTH)))


def _find_episode(text: str | None) -> str | None:
    """The first episode marker of `text` in its label form (`Vol95`, `E146`, `第2集`)."""
    found = _episodes(text or "")
    return _episode_parts(found[0])[0] if found else None


# ---------------------------------------------------------------------------- event_id

_FUNCTION_WORDS = frozenset("的 了 和 与 及 以及 之 跟 或 吗 呢 吧 啊 呀 嘛".split())
_HAN = re.compile(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_NOT_HAN = r"[^\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
_FALLBACK_ID = "event"
_MIN_ID_LEN = 8


def _plain(text: str) -> str:
    """`text` without accents (`Café` -> `Cafe`); Chinese characters are unchanged."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _ascii(text: str) -> str:
    """Lower-case ASCII letters and digits of `text`."""
    return re.sub(r"[^a-z0-9]", "", _plain(text).lower())


def _word_parts(word: str) -> list[str]:
    """Id parts of one jieba word: `投资` -> ['tou', 'zi'], `Freda` -> ['freda'],
    `A股` -> ['a', 'gu']; punctuation, emoji and other scripts give nothing."""
    parts = []
    for run in re.findall(f"{_HAN.pattern}+|{_NOT_HAN}+", word):
        if _HAN.match(run):
            parts += [_ascii(s) for s in lazy_pinyin(run, errors="ignore")]
        else:
            parts.append(_ascii(run))
    return [part for part in parts if part]


def _id_units(title: str) -> list[list[str]]:
    """The title as id words, each a list of parts joined by `_` (never split by a cut)."""
    text = _plain(unicodedata.normalize("NFKC", title or ""))
    units: list[tuple[list[str], bool]] = []
    position = 0
    for match in [*_episodes(text), None]:
        chunk = text[position:match.start() if match else len(text)]
        for word in _cut(chunk):
            parts = _word_parts(word)
            if parts:
                units.append((parts, word in _FUNCTION_WORDS))
        if match:
            units.append(([_episode_parts(match)[1]], False))
            position = match.end()
    kept = [parts for parts, function_word in units if not function_word]
    if not kept:  # a title of function words only keeps them
        kept = [parts for parts, _ in units]
    if kept and kept[0][0][0].isdigit():
        kept.insert(0, ["e"])
    return kept


_EPISODE_UNIT = re.compile(r"(?:vol|ep?|no)?\d+")
_SYMBOLS = {"So", "Cs", "Co"}  # emoji, pictographs: no chart font draws them


def _fit(units: list[list[str]], budget: int) -> str:
    """Whole units joined by `_`, as many as fit in `budget` characters; an episode number
    at the end (`vol78`) is kept when words before it have to go."""
    tail = "_".join(units[-1]) if len(units) > 1 else ""
    whole = "_".join("_".join(unit) for unit in units)
    if tail and _EPISODE_UNIT.fullmatch(tail) and len(whole) > budget and len(tail) + 2 <= budget:
        return _fit(units[:-1], budget - len(tail) - 1) + "_" + tail
    out = ""
    for unit in units:
        piece = "_".join(unit)
        candidate = f"{out}_{piece}" if out else piece
        if len(candidate) > budget:
            break
        out = candidate
    if out:
        return out
    # the first unit alone is too long: cut it at a syllable, else anywhere
    for part in units[0]:
        candidate = f"{out}_{part}" if out else part
        if len(candidate) > budget:
            break
        out = candidate
    return (out or units[0][0][:budget]).rstrip("_")


def event_id(title: str, *, taken: Iterable[str] = (), max_len: int = 40) -> str:
    """A readable, stable snake_case id for an event title, unique among `taken`.

    `Freda的投资札记 第2集` -> `freda_tou_zi_zha_ji_2`, `慧客堂 VOL.95` -> `hui_ke_tang_vol95`.
    Always matches `^[a-z][a-z0-9_]*$`, never ends in `_`, is at most `max_len` long (cut
    between words) and is the same for the same arguments on every machine. See the module
    docstring for the rules.
    """
    if max_len < _MIN_ID_LEN:
        raise ValueError(f"max_len must be at least {_MIN_ID_LEN}, not {max_len}")
    units = _id_units(title) or [[_FALLBACK_ID]]
    used = set(taken)
    base = _fit(units, max_len)
    if base not in used:
        return base
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = _fit(units, max_len - len(suffix)) + suffix
        if candidate not in used:
            return candidate
        n += 1


# ---------------------------------------------------------------------------- short_label

_SEPARATORS = re.compile(r"\s*(?:[：|丨｜]|(?<!\d):(?!\d)|\s[-–—]\s|——|—)\s*")
_BOOK = re.compile(r"《([^《》]+)》")
_EMPTY_BRACKETS = re.compile(r"[(（\[【<〈「『]\s*[)）\]】>〉」』]")
_STRIP = " \t-_.,，、·|｜丨:：;；/~～—–#"
_ELLIPSIS = "…"
_MIN_LABEL = 4


def _char_width(char: str) -> float:
    """1 for a CJK (wide, full-width or ambiguous) character, 0.5 for the rest."""
    return 1.0 if unicodedata.east_asian_width(char) in "WFA" else 0.5


def _width(text: str) -> float:
    return sum(_char_width(c) for c in text)


def _collapse(text: str) -> str:
    return " ".join((text or "").split())


def _tidy(text: str) -> str:
    """Whitespace collapsed, empty brackets and stray separators at the ends removed."""
    text = _collapse(_EMPTY_BRACKETS.sub(" ", text))
    return text.strip(_STRIP)


def _cut_to(text: str, budget: float) -> str:
    """`text` cut at a jieba word boundary to at most `budget` widths, `…` when cut."""
    if _width(text) <= budget:
        return text
    room = budget - _width(_ELLIPSIS)
    out = ""
    for word in _cut(text):
        if _width(out + word) > room:
            break
        out += word
    out = out.rstrip(_STRIP)
    if not out:  # the first word alone is too wide: cut by characters
        for char in text:
            if _width(out + char) > room:
                break
            out += char
        out = out.rstrip(_STRIP)
    return out + _ELLIPSIS


def _without_episodes(text: str) -> str:
    for match in reversed(_episodes(text)):
        text = text[:match.start()] + " " + text[match.end():]
    return _tidy(text)


def _head(title: str) -> str:
    """The short form of a long title: its book title if it is mostly that, else the first
    part before a separator that holds more than an episode marker."""
    bare = _without_episodes(title)
    book = _BOOK.search(bare)
    if book and _width(book.group(0)) >= 0.5 * _width(bare.replace(" ", "")):
        return book.group(0)
    for part in _SEPARATORS.split(bare):
        part = _tidy(part)
        if part:
            return part
    return bare


def short_label(title: str, *, max_chars: int = 18) -> str:
    """The default chart label of an event: the title when it is short, else a short form.

    Width counts a CJK character as 1 and a Latin letter, digit or space as 0.5. A long
    title gives the part before its first separator (`：` `:` `|` `丨` `｜` ` - ` `——`), or its
    《book title》 when it is mostly that, plus its episode marker (`Vol95`, `E146`,
    `第2集`), cut at a jieba word boundary with `…`. Never a slug; `""` for an empty title.
    """
    if max_chars < _MIN_LABEL:
        raise ValueError(f"max_chars must be at least {_MIN_LABEL}, not {max_chars}")
    text = _collapse("".join(c for c in title if unicodedata.category(c) not in _SYMBOLS
                             and c not in "\ufe0e\ufe0f\u200d"))
    if _width(text) <= max_chars:
        return text
    episode = _find_episode(text)
    head = _head(text)
    if episode and episode in head:
        episode = None
    tail = f" {episode}" if episode else ""
    if _width(tail) + 2 > max_chars:
        tail = ""
    budget = max_chars - _width(tail)
    if head.startswith("《") and head.endswith("》") and _width(head) > budget:
        inner = _SEPARATORS.split(head[1:-1])[0].strip(_STRIP) or head[1:-1]
        head = f"《{inner}》"
        if _width(head) > budget:
            head = "《" + _cut_to(inner, budget - 2) + "》"
    return (_cut_to(head, budget) + tail).strip()


