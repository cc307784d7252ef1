"""Names for new events: a stable id, a short chart label, and a title and date read from
the file name and from the header block of the transcript.

`python -m analysis add FILES...` meets files named by their owners and exported by ASR
tools, so everything here is a pure, deterministic function of its arguments:

event_id(title)          `Freda的投资札记 第2集` -> `freda_tou_zi_zha_ji_2`
short_label(title)       a chart label of at most 18 CJK-character widths
facts_from_name(name)    date, episode and title from `2023-08-13 慧客堂 VOL.95_原文.txt`
facts_from_text(text)    title and date from the header lines of the transcript
event_facts(name, text)  both, combined, plus the label

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

Dates. The file name wins over the text header: an ASR export's header carries the time
the recording was uploaded or transcribed, which for a podcast archive is often long after
the episode, while a date in the file name was put there by the owner. The title from the
text header wins over the file name (it is typed in the recording tool, not mangled by a
file system).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date as _date
from functools import lru_cache

from pypinyin import lazy_pinyin

__all__ = ["event_id", "short_label", "facts_from_name", "facts_from_text", "event_facts"]

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


# ---------------------------------------------------------------------------- dates

_FULL_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?P<s1>[-/._年])\s*(?P<m>\d{1,2})\s*(?P<s2>[-/._月])\s*"
    r"(?P<d>\d{1,2})(?:\s*[日号])?(?!\d)")
_COMPACT_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?!\d)")
_MONTH_CN = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月")
_MONTH_NUM = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[-/._](?P<m>\d{1,2})(?![\d.\-/_])")


def _valid(y: str, m: str, d: str | None = None) -> str | None:
    try:
        if d is None:
            _date(int(y), int(m), 1)
            return f"{int(y):04d}-{int(m):02d}"
        return _date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def _full_date(text: str) -> tuple[str, re.Match] | None:
    """The first real `YYYY-MM-DD`-like date in `text` (separators - / . _ or 年月日)."""
    for match in _FULL_DATE.finditer(text):
        if (match["s1"] == "年") != (match["s2"] == "月") or (
                match["s1"] != "年" and match["s1"] != match["s2"]):
            continue
        value = _valid(match["y"], match["m"], match["d"])
        if value:
            return value, match
    return None


def _compact_date(text: str) -> tuple[str, re.Match] | None:
    for match in _COMPACT_DATE.finditer(text):
        value = _valid(match["y"], match["m"], match["d"])
        if value:
            return value, match
    return None


def _month(text: str, *, chinese_only: bool = False) -> tuple[str, re.Match] | None:
    """The first real month (`2023-08`, `2023年8月`) in `text` as `YYYY-MM`."""
    for pattern in (_MONTH_CN,) if chinese_only else (_MONTH_CN, _MONTH_NUM):
        for match in pattern.finditer(text):
            value = _valid(match["y"], match["m"])
            if value:
                return value, match
    return None


# ---------------------------------------------------------------------------- file names

_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")
# extensions recognised in a title line (`深入浅出 Node.js` is not a file name)
_KNOWN_EXTENSION = re.compile(r"\.(?i:txt|md|markdown|srt|vtt|ass|docx?|pdf|json|csv|html?|"
                              r"mp3|m4a|wav|aac|flac|ogg|opus|wma|mp4|mov|mkv|webm|avi)$")
_EXPORT_SUFFIX = re.compile(r"[\s_\-]+(?:原文|导读|逐字稿|文字稿|文字记录|转写稿?|字幕|"
                            r"(?i:transcript|subtitles?))$")
# 通义听悟 names its exports `<name>_原文.docx` / `<name>_导读.docx`, and the first line of the
# document repeats that name
_TINGWU_SUFFIX = re.compile(r"_(?:原文|导读)$")
_ORDINAL_PREFIX = re.compile(r"^\s*\d{1,3}\s*[、．.]\s*(?=\D)")


def _stem(filename: str) -> str:
    name = re.split(r"[/\\]", filename or "")[-1]
    return _EXPORT_SUFFIX.sub("", _EXTENSION.sub("", name))


def facts_from_name(filename: str) -> dict:
    """`date`, `episode` and `title` read from a file name; None for what is not there.

    `2023-08-13_慧客堂_VOL.95.txt` -> date `2023-08-13`, episode `Vol95`, title `慧客堂`.
    Dates: `2023-08-13`, `20230813`, `2023.08.13`, `2023_08_13`, `2023年8月13日`, `2023-08`
    (month). Episodes: `E146`, `EP146`, `Vol95`, `VOL.95`, `第2集`, `第12期`, `No.86`. The title
    is the stem without them, without an export suffix (`_原文`, `_导读`, `_transcript`) or
    an enumeration prefix (`1、`), underscores read as spaces.
    """
    stem = unicodedata.normalize("NFKC", _stem(filename))
    date = None
    for finder in (_full_date, _compact_date, _month):
        found = finder(stem)
        if found:
            date, match = found
            stem = stem[:match.start()] + " " + stem[match.end():]
            break
    episodes = _episodes(stem)
    episode = _episode_parts(episodes[0])[0] if episodes else None
    if episodes:
        stem = stem[:episodes[0].start()] + " " + stem[episodes[0].end():]
    title = _tidy(_ORDINAL_PREFIX.sub("", stem.replace("_", " ")))
    if not re.search(r"[^\W_]", title):
        title = None
    return {"date": date, "episode": episode, "title": title}


# ---------------------------------------------------------------------------- text headers

_HEADER_LINES = 15
# Markdown around metadata: `> 日期：...`, `- 日期：...`, `**日期**：...`
_MARKUP = re.compile(r"^(?:>\s*)+|^[-*•]\s+|\*\*|__")
_TIME = r"\d{1,2}[:：]\d{2}(?:[:：]\d{2})?(?:[.,]\d{1,3})?"
_CLOCK = (rf"(?:\s*(?:星期|周|礼拜)[一二三四五六日天])?"
          rf"(?:[\sT]*(?:上午|下午|中午|晚上|凌晨|早上|傍晚)?\s*{_TIME}\s*(?:[AaPp][Mm])?)?"
          rf"\s*(?:CST|UTC|GMT|[+-]\d{{2}}:?\d{{2}}|(?:UTC|GMT)[+-]\d{{1,2}}(?::?\d{{2}})?)?")
# a line that is a date (and time), like the second line of a 通义听悟 export
# (`2026年04月07日 09:32`) or the first of a 飞书妙记 txt (`2026年6月2日 下午 5:51|14分钟 43秒`)
_DATE_LINE = re.compile(
    rf"^(?:(?P<full>(?:19|20)\d{{2}}\s*[-/.年]\s*\d{{1,2}}\s*[-/.月]\s*\d{{1,2}}\s*[日号]?)"
    rf"|(?P<month>(?:19|20)\d{{2}}\s*年\s*\d{{1,2}}\s*月)){_CLOCK}\s*(?:[|｜].*)?$")
# speaker headers: `发言人1  00:05`, `说话人 1 00:01:23`, `Speaker 1  0:05`, `张三 01:02:03`
_SPEAKER_HEADER = re.compile(rf"^\S.{{0,23}}?\s+{_TIME}$")
_BODY_LINE = re.compile(rf"^(?:[\[(]?\s*{_TIME}\s*[\])]?(?:\s|$)|.*-->.*|\d+$)")
_BODY_MARKERS = re.compile(r"^(?:#+\s*)?(?:文字记录|转写内容|转录内容|转写文本|逐字稿|原文|正文|"
                           r"(?i:transcript|transcription))\s*[:：]?\s*$")
_SECTIONS = ("关键词", "全文摘要", "全文总结", "全文概要", "章节速览", "发言总结", "要点回顾",
             "问答回顾", "智能纪要", "会议纪要", "待办", "待办事项", "摘要", "总结", "keywords",
             "summary", "chapters", "action items")
_SECTION_LINE = re.compile(r"^(?:#+\s*)?(?P<name>" + "|".join(map(re.escape, _SECTIONS))
                           + r")\s*(?:[:：]\s*(?P<value>.*))?$", re.IGNORECASE)
_TITLE_LABELS = ("标题", "题目", "主题", "会议主题", "会议名称", "会议标题", "会议记录", "节目",
                 "节目名称", "名称", "title", "subject", "topic")
_DATE_LABELS = ("日期", "时间", "会议时间", "会议日期", "录制时间", "录制日期", "录音时间",
                "录音日期", "开始时间", "创建时间", "发布时间", "发布日期", "播出时间",
                "date", "time", "recorded", "published")
# known labels whose values are neither title nor event date (导出时间 is when the file was
# exported, not when the event took place)
_OTHER_LABELS = ("导出时间", "上传时间", "时长", "参会人", "参会人员", "参与人", "与会人",
                 "发言人", "说话人", "地点", "主持人", "嘉宾", "来源", "链接", "作者", "记录人",
                 "duration", "speakers", "participants", "attendees", "source", "url",
                 "author", "location")
_LABEL_LINE = re.compile(r"^(?P<label>[^:：]{1,12}?)\s*[:：]\s*(?P<value>.*)$")
_HEADING = re.compile(r"^#{1,3}\s+(?P<text>.+?)\s*#*$")
_HEADING_PREFIX = re.compile(r"^(?:转录|转写|逐字稿|文字稿|字幕|transcript)\s*[:：]\s*", re.I)
_NOT_TITLE_END = tuple("。，、；;,")
_MAX_TITLE_CHARS = 80


def _label(line: str) -> tuple[str, str, str] | None:
    """(kind, label, value) of a metadata line `标题：...`; kind is title, date or other."""
    match = _LABEL_LINE.match(line)
    if not match:
        return None
    label = match["label"].strip().lower()
    for kind, labels in (("title", _TITLE_LABELS), ("date", _DATE_LABELS),
                         ("other", _OTHER_LABELS)):
        if label in labels:
            return kind, label, match["value"].strip()
    return None


def _kind(line: str) -> str:
    """What a header line is: date, body, section, meta, heading, frontmatter or text."""
    if line in ("---", "...", "+++") or line.upper().startswith("WEBVTT"):
        return "frontmatter"
    if _DATE_LINE.match(line):
        return "date"
    if _BODY_MARKERS.match(line):
        return "body"
    if _SECTION_LINE.match(line):
        return "section"
    if _label(line):
        return "meta"
    if _BODY_LINE.match(line) or _SPEAKER_HEADER.match(line):
        return "body"
    if _HEADING.match(line):
        return "heading"
    return "text"


def _date_of_line(line: str) -> str | None:
    """The date of a date line (`2023年8月13日 14:05`, `2023-08-13 14:05:22 CST|...`)."""
    match = _DATE_LINE.match(line)
    if not match:
        return None
    if match["full"]:
        found = _full_date(match["full"])
        return found[0] if found else None
    found = _month(match["month"], chinese_only=True)
    return found[0] if found else None


def _labelled_date(value: str) -> str | None:
    """The date of a labelled value (`日期：20260219`, `时间：2023年8月13日 14:05`)."""
    for found in (_full_date(value), _compact_date(value), _month(value)):
        if found:
            return found[0]
    return None


def _clean_title(raw: str) -> tuple[str | None, str | None]:
    """(title, date) of a title line; a line that is a file name (`..._原文`, `x.mp3`) is read
    like one, so the date in it goes to the date and not to the title."""
    raw = _collapse(_HEADING_PREFIX.sub("", raw))
    if _KNOWN_EXTENSION.search(raw) or _TINGWU_SUFFIX.search(raw):
        facts = facts_from_name(raw)
        episode = _find_episode(_stem(raw))
        title = facts["title"]
        if title and episode:
            title = f"{title} {episode}"
        return title or episode, facts["date"]
    return (raw or None), None


def _header(text: str) -> dict:
    """Title, date and raw title line of the header block (before the first speaker header,
    cue, timing line or `文字记录:`, within the first 15 non-empty lines)."""
    text = (text or "").lstrip("\ufeff")
    if re.match(r"\s*(?:\{|\[\s*\{)", text):
        text = ""  # JSON (Whisper) has no header block
    lines = [_MARKUP.sub("", line.strip()).strip() for line in text.splitlines()]
    lines = [line for line in lines if line][:_HEADER_LINES]
    kinds = [_kind(line) for line in lines]
    title = raw_title = date = title_date = None
    in_section = False
    for i, (line, kind) in enumerate(zip(lines, kinds)):
        if kind == "body":
            break
        if kind == "section":
            match = _SECTION_LINE.match(line)
            in_section = not (match["value"] or "").strip()
            continue
        if kind == "text" and in_section:
            continue
        in_section = False
        if kind == "date":
            date = date or _date_of_line(line)
        elif kind == "meta":
            what, _, value = _label(line)
            if what == "title" and value and title is None:
                title, title_date = _clean_title(value)
                raw_title = value
            elif what == "date" and date is None:
                date = _labelled_date(value)
        elif kind == "heading" and title is None:
            heading = _HEADING.match(line)["text"]
            if not (_BODY_MARKERS.match(heading) or _SECTION_LINE.match(heading)):
                title, title_date = _clean_title(heading)
                raw_title = heading
        elif kind == "text" and i == 0 and title is None and _looks_like_title(line, kinds):
            title, title_date = _clean_title(line)
            raw_title = line
    if date is None and raw_title:
        date = title_date or (_full_date(raw_title) or (None,))[0]
    return {"title": title, "date": date, "raw_title": raw_title}


def _looks_like_title(line: str, kinds: list[str]) -> bool:
    """A plain first line is a title only in a header-shaped block: short, not a sentence,
    and followed by a date line, a metadata line, a section or the transcript itself."""
    if len(line) > _MAX_TITLE_CHARS or line.endswith(_NOT_TITLE_END):
        return False
    if not re.search(r"[^\W\d_]", line):
        return False
    return len(kinds) > 1 and kinds[1] in ("date", "meta", "section", "body")


def facts_from_text(text: str) -> dict:
    """`title` and `date` of a transcript from its header block; None for what is not there.

    Reads the first 15 non-empty lines up to the transcript proper (a speaker header
    `发言人1  00:05`, an SRT cue or timing line, `文字记录:`). Title: `标题：`/`Title:`/
    `主题：` labels, a `# Markdown heading`, or a plain first line followed by a date line,
    metadata or the transcript (the 通义听悟 layout: title, `2023年08月13日 14:05`, speakers).
    Date: `日期：`/`时间：`/`会议时间：` labels, or a line that is a date and time (飞书妙记:
    `2023年8月13日 下午 2:05|1小时 3分钟`). A bare number such as `2023` is never a date.
    """
    header = _header(text)
    return {"title": header["title"], "date": header["date"]}


# ---------------------------------------------------------------------------- combined


def _label_for(title: str | None, episode: str | None, date: str | None,
               max_chars: int) -> str:
    if not title:
        return episode or date or ""
    if not episode or _find_episode(title):
        return short_label(title, max_chars=max_chars)
    tail = f" {episode}"
    if _width(tail) + _MIN_LABEL > max_chars:
        return short_label(title, max_chars=max_chars)
    return short_label(title, max_chars=max(_MIN_LABEL, int(max_chars - _width(tail)))) + tail


def event_facts(filename: str, text: str, *, max_chars: int = 18) -> dict:
    """`title`, `date`, `episode` and `label` of a new event from its file name and text.

    Title: the text header's, else the file name's. Date: the file name's, else the text
    header's (an export header dates the upload or transcription, a file name is dated by its
    owner). Episode: the file name's, else the one in the text title. Label: `short_label` of
    the title with the episode appended when the title does not carry one; the episode or the
    date when there is no title. For the id, pass the title with its episode to `event_id`:
    `event_id(" ".join(filter(None, (facts["title"], facts["episode"]))))`.
    """
    name = facts_from_name(filename)
    header = _header(text)
    title = header["title"] or name["title"]
    date = name["date"] or header["date"]
    episode = name["episode"] or _find_episode(header["raw_title"])
    return {"title": title, "date": date, "episode": episode,
            "label": _label_for(title, episode, date, max_chars)}
