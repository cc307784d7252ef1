"""What a new transcript is called and when it happened, read from its file name and from the
header block of its text (`python -m analysis add FILES...`).

facts_from_name(name)    date, episode and title from `2023-08-13 慧客堂 VOL.95_原文.txt`
facts_from_text(text)    title and date from the header lines of the transcript
event_facts(name, text)  both, combined, plus the chart label (analysis.project.naming)

Everything here is a pure, deterministic function of its arguments.

Dates. The file name wins over the text header: an ASR export's header carries the time
the recording was uploaded or transcribed, which for a podcast archive is often long after
the episode, while a date in the file name was put there by the owner. The title from the
text header wins over the file name (it is typed in the recording tool, not mangled by a
file system).
"""


from __future__ import annotations

import re
import unicodedata
from datetime import date as _date

# the episode markers and label widths are the naming rules' own: one home for each
from analysis.project.naming import (_MIN_LABEL, _collapse, _episode_parts, _episodes,
                                     _find_episode, _tidy, _width, short_label)

__all__ = ["facts_from_name", "facts_from_text", "event_facts"]


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
