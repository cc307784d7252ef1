"""Event ids, chart labels, and titles and dates read from file names and transcript headers
(analysis/project/naming.py)."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.project import naming
from analysis.project.facts import event_facts, facts_from_name, facts_from_text
from analysis.project.naming import event_id, short_label

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


def valid(slug: str, max_len: int = 40) -> bool:
    return bool(SLUG.match(slug)) and len(slug) <= max_len and not slug.endswith("_") \
        and "__" not in slug


# ---------------------------------------------------------------------------- event_id


@pytest.mark.parametrize("title, expected", [
    ("Freda的投资札记 第2集", "freda_tou_zi_zha_ji_2"),
    ("慧客堂 Vol95", "hui_ke_tang_vol95"),
    ("慧客堂 VOL.95", "hui_ke_tang_vol95"),
    ("慧客堂 Vol.95", "hui_ke_tang_vol95"),
    ("慧客堂 vol 95", "hui_ke_tang_vol95"),
])
def test_issue_examples(title, expected):
    assert event_id(title) == expected


@pytest.mark.parametrize("title, expected", [
    ("乱翻书 E146", "luan_fan_shu_e146"),
    ("乱翻书 EP146", "luan_fan_shu_e146"),
    ("乱翻书 Ep.146", "luan_fan_shu_e146"),
    ("三五环 No.86", "san_wu_huan_no86"),
    ("圆桌 第12期", "yuan_zhuo_12"),
    ("圆桌 第十二期", "yuan_zhuo_12"),
    ("ＶＯＬ．９５ 全角", "vol95_quan_jiao"),          # full-width letters and digits
    ("GPT-4 和 Claude", "gpt_4_claude"),               # Latin words whole, 和 dropped
    ("iPhone15 发布会", "iphone15_fa_bu_hui"),
    ("A股投资 Café", "a_gu_tou_zi_cafe"),              # accents dropped
    ("95后的消费观", "e_95_hou_xiao_fei_guan"),        # never starts with a digit
    ("2023年度回顾", "e_2023_nian_du_hui_gu"),
    ("硅谷101：大模型！🎉", "gui_gu_101_da_mo_xing"),  # punctuation and emoji dropped
])
def test_latin_numbers_and_episode_markers(title, expected):
    assert event_id(title) == expected


def test_pinyin_follows_the_word():
    # polyphones are read in their jieba word: 重庆 chong, 银行 hang
    assert event_id("重庆银行") == "chong_qing_yin_hang"


def test_function_words_dropped_only_as_words():
    assert event_id("我的目的和你") == "wo_mu_di_ni"    # 的 of 目的 stays, lone 的 and 和 go
    assert event_id("之") == "zhi"                     # a title of function words keeps them


def test_unusable_titles():
    for title in ("", "   ", "🎉🎉🎉", "！？。", "한국어", "ひらがな"):
        assert event_id(title) == "event"
    assert event_id("", taken={"event"}) == "event_2"


def test_cut_at_word_boundary():
    title = "硅谷101：大模型的下半场与创业者的机会"
    full = event_id(title, max_len=200)
    assert full == "gui_gu_101_da_mo_xing_xia_ban_chang_chuang_ye_zhe_ji_hui"
    for max_len in range(8, len(full) + 1):
        cut = event_id(title, max_len=max_len)
        assert valid(cut, max_len)
        assert full.startswith(cut)
        # the cut falls between jieba words: 下半场 is xia_ban_chang whole or not at all
        assert not cut.endswith(("_xia", "_xia_ban", "_chuang", "_chuang_ye", "_ji"))
    assert event_id(title, max_len=20) == "gui_gu_101_da"
    assert event_id(title) == "gui_gu_101_da_mo_xing_xia_ban_chang"


def test_single_long_word_is_cut_inside_it():
    slug = event_id("Supercalifragilisticexpialidocious", max_len=10)
    assert slug == "supercalif"
    assert event_id("中华人民共和国", max_len=10) == "zhong_hua"    # at a syllable


def test_uniqueness_suffixes():
    taken = {"hui_ke_tang_vol95"}
    assert event_id("慧客堂 Vol95", taken=taken) == "hui_ke_tang_vol95_2"
    taken |= {"hui_ke_tang_vol95_2"}
    assert event_id("慧客堂 Vol95", taken=taken) == "hui_ke_tang_vol95_3"
    assert event_id("慧客堂 Vol95", taken=iter(taken)) == "hui_ke_tang_vol95_3"


def test_uniqueness_suffix_stays_within_max_len():
    title = "硅谷101：大模型的下半场与创业者的机会"
    base = event_id(title, max_len=14)
    assert base == "gui_gu_101_da"
    second = event_id(title, max_len=14, taken=[base])
    assert second == "gui_gu_101_2"          # a word dropped to make room, not cut inside
    taken = {base, second}
    for _ in range(12):
        new = event_id(title, max_len=14, taken=taken)
        assert valid(new, 14) and new not in taken
        taken.add(new)


def test_max_len_too_small():
    with pytest.raises(ValueError):
        event_id("慧客堂", max_len=3)


def test_deterministic_and_engine_independent():
    titles = ["Freda的投资札记 第2集", "乱翻书 E146 对谈王小川 96后创业者",
              "《置身事内》读书会：中国政府与经济发展", "三五环 No.86 与张小龙之间"]
    first = [event_id(t) for t in titles]
    assert [event_id(t) for t in titles] == first
    # rjieba (the default) and jieba cut titles the same with HMM off, so ids do not depend
    # on which one is installed
    for title in titles:
        assert naming._cut(title, "rjieba") == naming._cut(title, "jieba")


@settings(max_examples=300, deadline=None)
@given(title=st.text(), max_len=st.integers(8, 60), taken=st.lists(st.text(max_size=12)))
def test_ids_are_always_valid_slugs(title, max_len, taken):
    slug = event_id(title, max_len=max_len)
    assert valid(slug, max_len)
    assert event_id(title, max_len=max_len) == slug
    again = event_id(title, max_len=max_len, taken=[*taken, slug, f"{slug}_2"])
    assert valid(again, max_len) and again not in {slug, f"{slug}_2", *taken}


CJK_TITLES = st.text(alphabet=st.sampled_from(
    list("的了和与之投资札记慧客堂圆桌大模型硅谷第集期 ：｜《》VolENo.0123456789abcXYZ_-🎉")),
    max_size=60)


@settings(max_examples=300, deadline=None)
@given(title=CJK_TITLES, max_len=st.integers(8, 40))
def test_ids_of_title_like_strings(title, max_len):
    assert valid(event_id(title, max_len=max_len), max_len)


# ---------------------------------------------------------------------------- short_label


def test_short_titles_are_their_own_label():
    assert short_label("慧客堂 Vol95") == "慧客堂 Vol95"
    assert short_label("  Freda的投资札记\n 第2集 ") == "Freda的投资札记 第2集"
    assert short_label("") == ""


@pytest.mark.parametrize("title, expected", [
    # the part before the separator, plus the episode marker
    ("慧客堂 VOL.95 | 播客行业的下半场：商业化、内容与平台", "慧客堂 Vol95"),
    ("E146｜对谈王小川：大模型时代的创业者应该如何思考", "对谈王小川 E146"),
    ("硅谷101：大模型的下半场与创业者的机会", "硅谷101"),
    ("《置身事内》读书会：中国政府与经济发展", "《置身事内》读书会"),
    ("AI 原生应用的未来 - 一场关于大模型落地与商业化的圆桌讨论", "AI 原生应用的未来"),
    ("圆桌——大模型落地的十个问题与我们的一些初步回答", "圆桌"),
    # mostly a book title: the book title
    ("《置身事内：中国政府与经济发展》读书分享会", "《置身事内：中国政府与经济发展》"),
    # no separator: cut at a jieba word, with …, the episode kept
    ("Freda的投资札记 第2集 聊聊指数基金定投的那些坑和我的一些经验",
     "Freda的投资札记 聊聊指数基金… 第2集"),
    ("Supercalifragilisticexpialidocious and other very long English words",
     "Supercalifragilisticexpialidocious…"),
    # full-width markers are found, moved to the end once, and written the usual way
    ("ＶＯＬ．９５｜播客行业的下半场：商业化、内容与平台的未来", "播客行业的下半场 Vol95"),
    ("慧客堂 第２集 播客行业的下半场商业化内容与平台的未来", "慧客堂 播客行业的下半场… 第2集"),
])
def test_long_titles(title, expected):
    label = short_label(title)
    assert label == expected
    assert naming._width(label) <= 18


def test_label_width_and_cut():
    title = "大模型时代的创业者应该如何思考产品与商业模式"
    for max_chars in range(4, 25):
        label = short_label(title, max_chars=max_chars)
        assert naming._width(label) <= max_chars
        if label != title:
            assert label.endswith("…")
            assert title.startswith(label[:-1])
    assert short_label(title, max_chars=10) == "大模型时代的创业者…"   # not 创业者应


def test_latin_counts_half():
    # 36 Latin characters are 18 widths: short enough to stay whole
    title = "a" * 36
    assert short_label(title) == title
    assert short_label(title + "a") != title + "a"


def test_label_is_never_a_slug():
    label = short_label("硅谷101：大模型的下半场与创业者的机会")
    assert label != event_id("硅谷101：大模型的下半场与创业者的机会")
    assert not SLUG.match(label)


@settings(max_examples=300, deadline=None)
@given(title=st.one_of(st.text(), CJK_TITLES), max_chars=st.integers(4, 30))
def test_labels_fit(title, max_chars):
    label = short_label(title, max_chars=max_chars)
    assert naming._width(label) <= max_chars
    assert label == label.strip()


# ---------------------------------------------------------------------------- facts_from_name


@pytest.mark.parametrize("filename, date, episode, title", [
    ("2023-08-13 Freda的投资札记 第2集.txt", "2023-08-13", "第2集", "Freda的投资札记"),
    ("20230813_慧客堂_VOL.95.md", "2023-08-13", "Vol95", "慧客堂"),
    ("2023.08.13-圆桌.srt", "2023-08-13", None, "圆桌"),
    ("2023_08_13_周会.txt", "2023-08-13", None, "周会"),
    ("2023-08 月度复盘.txt", "2023-08", None, "月度复盘"),
    ("2023年8月13日 读书会.txt", "2023-08-13", None, "读书会"),
    ("E146_乱翻书_对谈王小川.srt", None, "E146", "乱翻书 对谈王小川"),
    ("EP146 乱翻书.vtt", None, "E146", "乱翻书"),
    ("慧客堂 Vol95.docx", None, "Vol95", "慧客堂"),
    ("圆桌 第12期.txt", None, "第12期", "圆桌"),
    ("No.86 三五环.txt", None, "No.86", "三五环"),
    # 通义听悟 export names (`<name>_原文.docx`), enumeration prefix `1、`
    ("1、《任职资格点评-产品经理》20251224_原文.docx", "2025-12-24", None,
     "《任职资格点评-产品经理》"),
    ("exports/2024/慧客堂 VOL.95_原文.docx", None, "Vol95", "慧客堂"),
    ("C:\\podcasts\\20230813.txt", "2023-08-13", None, None),
    ("Vol95.txt", None, "Vol95", None),
])
def test_facts_from_name(filename, date, episode, title):
    assert facts_from_name(filename) == {"date": date, "episode": episode, "title": title}


@pytest.mark.parametrize("filename", ["2023.txt", "20230832 会.txt", "2023-13 会.txt",
                                      "v2.0.1 release.txt", "会议 123456.txt"])
def test_no_date_from_numbers_that_are_not_dates(filename):
    assert facts_from_name(filename)["date"] is None


# ---------------------------------------------------------------------------- facts_from_text

# 通义听悟 (Tingwu) `_原文` export, saved as text. The layout: the first paragraph is the
# recording's name (the uploaded file name plus `_原文`), the second the recording date and
# time, then `发言人 N  mm:ss` headers. From public repositories that import these exports:
# a course-knowledge importer's guide ("原文文件第一段应为标题；第二段可以是日期", sample
# `RAG技术与应用_原文` / `2026年09月06日`) and its test
# (`1、《任职资格点评-产品经理》20251224_原文`, `2026年04月07日 09:32`, `发言人   00:00`).
TINGWU = """\
1、《任职资格点评-产品经理》20251224_原文
2026年04月07日 09:32
发言人   00:00
产品经理要围绕IPD流程，从需求管理、项目管理到里程碑DCP控制，把职责补齐。
发言人   01:00
GTM这里不能写成主责，GTM经理负主责。
"""

TINGWU_PODCAST = """\
Freda的投资札记 第2集_原文
2023年08月13日 14:05

发言人 1 00:05
大家好，欢迎收听Freda的投资札记。2022年的时候我们聊过一次。

发言人 2 00:31
今天聊聊指数基金。
"""

# 通义听悟 `_导读` export: title, date, then the 关键词 / 全文摘要 / 章节速览 sections (same
# sources as above).
TINGWU_GUIDE = """\
RAG技术与应用_导读
2026年09月06日
关键词
RAG 向量检索 重排
全文摘要
本课程介绍企业知识库的完整处理流程。
章节速览
00:00 文档切分
"""

# 飞书妙记 (Feishu Minutes) "导出文字记录" txt: the first line is `<date> <上午/下午> <time>|
# <duration>`, then `关键词:` and its words, then `文字记录:` and `说话人 N mm:ss` headers; the
# title is only in the file name. From a public parser of these exports (docstring: `例
# "2026年6月2日 下午 5:51|14分钟 43秒"`) and an ASR fallback that writes the same layout
# (`2023-08-13 14:05 CST|14分钟 43秒`, `文字记录:`).
FEISHU = """\
2023年8月13日 下午 2:05|1小时 3分钟 12秒

关键词:
指数基金、定投、回撤、资产配置

文字记录:

说话人 1 00:05
大家好，今天是2023年8月13日。

说话人 2 00:41
好的。
"""

# 飞书妙记 as written by lark-cli (`minutes +detail --transcript`): English labels, ISO date
# and CST, `Speaker N hh:mm:ss.mmm` (from the Smart-Minutes-Open README's input example).
FEISHU_LARK_CLI = """\
2023-08-13 14:05:22 CST|1h 3min 12s

Keywords:
考试、范围、题型

Speaker 1 00:00:16.480
我们今天来讲一下期末考试的范围和题型。
"""

# The .docx export of 飞书妙记 opens with the meeting name above the date line.
FEISHU_WITH_TITLE = """\
慧客堂 Vol95：播客的下半场
2023年8月13日 下午 2:05|1小时 3分钟

关键词:
播客、商业化

文字记录:
说话人 1 00:02
欢迎收听。
"""


@pytest.mark.parametrize("text, title, date", [
    (TINGWU, "《任职资格点评-产品经理》", "2026-04-07"),
    (TINGWU_PODCAST, "Freda的投资札记 第2集", "2023-08-13"),
    (TINGWU_GUIDE, "RAG技术与应用", "2026-09-06"),
    (FEISHU, None, "2023-08-13"),
    (FEISHU_LARK_CLI, None, "2023-08-13"),
    (FEISHU_WITH_TITLE, "慧客堂 Vol95：播客的下半场", "2023-08-13"),
])
def test_export_headers(text, title, date):
    assert facts_from_text(text) == {"title": title, "date": date}


@pytest.mark.parametrize("text, title, date", [
    ("标题：AI 应用周会\n会议时间：2023年8月13日 14:05\n参会人：张三、李四\n\n张三：大家好\n",
     "AI 应用周会", "2023-08-13"),
    ("会议主题: 圆桌\n日期: 20230813\n\n说话人 1 00:01:23\n好\n", "圆桌", "2023-08-13"),
    ("Title: Roundtable on AI agents\nDate: 2023-08-13\n\nSpeaker 1  0:05\nhi\n",
     "Roundtable on AI agents", "2023-08-13"),
    ("\ufeff# 硅谷101：大模型的下半场\n\n> 日期：2023-08-13\n\n## 转录内容\n\n"
     "发言人1 00:00:01\n你好\n", "硅谷101：大模型的下半场", "2023-08-13"),
    ("---\ntitle: 圆桌：AI 原生应用\ndate: 2023-08\n---\n正文\n", "圆桌：AI 原生应用", "2023-08"),
    ("- **时间**：2023年8月\n- **主题**：月度复盘\n", "月度复盘", "2023-08"),
    ("# 转录：2023-08-13 周会.mp3\n\n发言人1 00:00\n好\n", "周会", "2023-08-13"),
    # the repository's own sample: 导出时间 is when the file was exported, not an event date
    ("会议记录：AI 应用周会\n导出时间：2023-08-30\n\n说话人 1 00:00:05\n大家好\n",
     "AI 应用周会", None),
])
def test_labelled_headers(text, title, date):
    assert facts_from_text(text) == {"title": title, "date": date}


def test_speaker_header_is_not_a_title():
    for header in ("发言人1  00:05", "说话人 1 00:01:23", "Speaker 1  0:05", "张三 01:02:03",
                   "发言人   00:00"):
        assert facts_from_text(f"{header}\n今天聊聊2023年8月13日的事。\n") == \
            {"title": None, "date": None}


def test_year_alone_is_not_a_date():
    assert facts_from_text("2023\n发言人1 00:05\n你好\n")["date"] is None
    assert facts_from_text("年度回顾 2023\n发言人1 00:05\n你好\n") == \
        {"title": "年度回顾 2023", "date": None}
    assert facts_from_text("日期：2023\n\n发言人1 00:05\n你好\n")["date"] is None
    assert facts_from_text("时间：14:05\n\n发言人1 00:05\n你好\n")["date"] is None


def test_srt_cues_are_not_titles():
    srt = ("1\n00:00:01,000 --> 00:00:03,500\n主持人：欢迎收听本期节目\n\n"
           "2\n00:00:03,600 --> 00:00:06,000\n主持人：今天聊聊 AI 应用的机会\n")
    assert facts_from_text(srt) == {"title": None, "date": None}
    vtt = "WEBVTT\nKind: captions\nLanguage: zh\n\n00:00.000 --> 00:03.000\n<v 主持人>欢迎</v>\n"
    assert facts_from_text(vtt) == {"title": None, "date": None}


def test_plain_speech_is_not_a_title():
    assert facts_from_text("大家好，欢迎收听本期节目。\n今天我们请到了王明。\n")["title"] is None
    assert facts_from_text("主持人：大家好\n嘉宾：你好\n")["title"] is None
    assert facts_from_text("") == {"title": None, "date": None}


def test_dates_in_the_transcript_body_are_ignored():
    # the 2023年8月13日 said by 说话人 1 in FEISHU is after the header
    text = "周会\n\n说话人 1 00:05\n我们2023年8月13日见过。\n"
    assert facts_from_text(text) == {"title": "周会", "date": None}


def test_only_the_first_fifteen_lines_are_read():
    text = "".join(f"关键词：词{i}\n" for i in range(15)) + "日期：2023-08-13\n"
    assert facts_from_text(text)["date"] is None


# ---------------------------------------------------------------------------- event_facts


def test_event_facts_text_title_and_name_date():
    facts = event_facts("2023-08-10 慧客堂 VOL.95_原文.docx", FEISHU_WITH_TITLE)
    assert facts == {"title": "慧客堂 Vol95：播客的下半场", "date": "2023-08-10",
                     "episode": "Vol95", "label": "慧客堂 Vol95：播客的下半场"}


def test_event_facts_falls_back_to_each_source():
    facts = event_facts("Freda的投资札记 第2集.txt", FEISHU)
    assert facts == {"title": "Freda的投资札记", "date": "2023-08-13", "episode": "第2集",
                     "label": "Freda的投资札记 第2集"}
    assert event_facts("20230813.txt", "") == \
        {"title": None, "date": "2023-08-13", "episode": None, "label": "2023-08-13"}
    assert event_facts("notes.txt", "")["title"] == "notes"


def test_event_facts_label_gets_the_episode_once():
    facts = event_facts("E146_乱翻书_对谈王小川_大模型时代的创业者应该如何思考.txt", "")
    assert facts["episode"] == "E146"
    assert facts["label"] == "乱翻书 对谈王小川 大模型时代… E146"
    assert naming._width(facts["label"]) <= 18
    facts = event_facts("录音.txt", TINGWU_PODCAST)
    assert facts["episode"] == "第2集"
    assert facts["label"] == "Freda的投资札记 第2集"


def test_event_facts_give_good_ids():
    facts = event_facts("2023-08-13 慧客堂 VOL.95.txt", "")
    assert event_id(" ".join(filter(None, (facts["title"], facts["episode"])))) == \
        "hui_ke_tang_vol95"


def test_labels_drop_emoji_and_cut_ids_keep_the_episode():
    """Found on real episode titles: an emoji reached the chart label, and cutting a long
    label's id dropped the episode marker moved to its end."""
    label = naming.short_label("No.179 👥 王兴的「连环」创业史：校内、饭否与海内 | 中国互联网故事12")
    assert "👥" not in label and label.endswith("No.179")
    long_label = naming.short_label("Vol.78 和老钱聊聊风险投资这项工作---串台面基")
    assert naming.event_id(long_label).endswith("_vol78")
    assert naming.event_id("慧客堂 Vol95") == "hui_ke_tang_vol95"
