"""Tests for the slide house style in analysis.charts.style."""

import matplotlib

matplotlib.use("Agg")

import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from analysis import charts as plots
from analysis.charts import style

CJK_WORDS = [
    "算力与芯片",
    "模型与技术",
    "数据与语料",
    "开源",
    "应用与产品",
    "商业与壁垒",
    "中美与国产",
    "护城河",
    "徐鹏",
    "杨传辉",
    "陈璧葵",
    "贝翼杰",
    "拾象",
    "极客公园",
]

LONG_LABELS = [
    "算力与芯片：国产替代的长期路线与短期瓶颈",
    "模型与技术：开源模型追赶闭源模型的速度",
    "数据与语料：高质量中文语料从哪里来",
    "应用与产品：大模型应用的真实需求",
    "商业与壁垒：护城河到底在哪里",
    "中美与国产：供应链与出口管制的影响",
]


@pytest.fixture
def font_path():
    """Apply the house style for one test and restore rcParams afterwards."""
    with matplotlib.rc_context():
        plots.use_house_style()
        yield plots.register_cjk_font()


def topic_frame(labels=CJK_WORDS):
    return pd.DataFrame({"topic": labels, "turns": [(i * 37) % 101 + 5 for i in range(len(labels))]})


def draw(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def glyph_problems(messages):
    return [m for m in messages if "missing from font" in m or "Glyph" in m]


# --- fonts -------------------------------------------------------------------


def test_register_cjk_font_is_idempotent_and_only_noto(font_path):
    assert font_path.name == "NotoSansCJKsc-Regular.otf"
    assert font_path.is_file()
    count = len(font_manager.fontManager.ttflist)
    assert plots.register_cjk_font() == font_path
    assert len(font_manager.fontManager.ttflist) == count
    registered = {Path(entry.fname).name for entry in font_manager.fontManager.ttflist}
    assert "SimHei.ttf" not in registered
    assert matplotlib.rcParams["font.sans-serif"][0] == plots.CJK_FONT_FAMILY
    assert matplotlib.rcParams["font.family"] == ["sans-serif"]
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    assert matplotlib.rcParams["pdf.fonttype"] == 3
    assert matplotlib.rcParams["svg.fonttype"] == "path"
    assert matplotlib.rcParams["svg.hashsalt"]


def test_warning_capture_detects_missing_glyphs():
    """Control: the capture used below does see a missing-glyph warning."""
    fig = Figure()
    FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, "算力", family="DejaVu Sans")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    assert glyph_problems([str(w.message) for w in caught])


def test_chinese_text_renders_without_missing_glyphs(font_path, tmp_path, caplog):
    df = topic_frame()
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING, logger="matplotlib"):
        warnings.simplefilter("always")
        fig = plots.bar_chart(
            df,
            x="topic",
            y="turns",
            title="话题分布：" + " ".join(CJK_WORDS),
            subtitle="Turns per topic, all events",
            xlabel="话题",
            ylabel="发言次数",
            horizontal=True,
            fmt="{:,.0f} 次",
        )
        written = plots.save(fig, "chinese_glyphs", folder=tmp_path)
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert not glyph_problems(messages), messages
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], messages
    assert [p.name for p in written] == ["chinese_glyphs.png", "chinese_glyphs.svg"]

    ax = fig.axes[0]
    (title,) = [t for t in fig.texts if t.get_text() == fig.get_suptitle()]
    chinese_artists = [title, ax.get_yticklabels()[0], ax.texts[0]]
    for artist in chinese_artists:
        found = font_manager.findfont(artist.get_fontproperties())
        assert Path(found).resolve() == font_path
    assert "次" in ax.texts[0].get_text()


def test_wordcloud_renders_chinese_deterministically(font_path):
    from wordcloud import WordCloud

    frequencies = {word: 30 - i for i, word in enumerate(CJK_WORDS)}

    def render():
        cloud = WordCloud(font_path=str(font_path), random_state=0, width=400, height=200)
        return cloud.generate_from_frequencies(frequencies).to_array()

    first, second = render(), render()
    background = first[0, 0] * 0  # default background is black
    assert (first != background).any(axis=-1).sum() > 1000
    assert np.array_equal(first, second)


# --- saving ------------------------------------------------------------------


def build_reference_figure():
    frame = pd.DataFrame(
        {
            "event": ["拾象", "拾象", "极客公园", "极客公园"],
            "topic": ["开源", "护城河", "开源", "算力与芯片"],
            "turns": [3, 5, 2, 7],
        }
    )
    return plots.stacked_bar_chart(
        frame, index="event", columns="topic", values="turns", title="话题构成", subtitle="Topic mix"
    )


def test_save_writes_png_and_svg_at_200_dpi(font_path, tmp_path):
    png, svg = plots.save(build_reference_figure(), "topic_mix", folder=tmp_path / "new" / "dir")
    assert png == tmp_path / "new" / "dir" / "topic_mix.png"
    assert svg.suffix == ".svg" and svg.read_bytes().startswith(b"<?xml")
    with Image.open(png) as image:
        width, height = image.size
        dpi = image.info["dpi"]
        assert "Software" not in image.info
    assert abs(width - 13.333 * 200) < 1
    assert height == 1500
    assert min(dpi) >= 199.5
    text = svg.read_text(encoding="utf-8")
    assert "<dc:date>" not in text
    assert "Matplotlib v" not in text


def test_save_is_byte_identical_across_runs(font_path, tmp_path):
    first = plots.save(build_reference_figure(), "stable", folder=tmp_path / "a")
    second = plots.save(build_reference_figure(), "stable", folder=tmp_path / "b")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_save_defaults_to_project_figures_folder(font_path, tmp_path, monkeypatch):
    """The example project's charts go to the notebook collection's figures/ (its committed
    baselines); any other project's to its own output/figures/."""
    monkeypatch.delenv("ANALYSIS_PROJECT", raising=False)
    monkeypatch.delenv("ANALYSIS_SEEDS", raising=False)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    for project in (tmp_path / "seeds", tmp_path / "archive"):
        (project / "transcripts").mkdir(parents=True)
        (project / "events.yaml").write_text("events: []\n")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    fig, ax = plots.new_figure("默认目录")
    written = plots.save(fig, "default_folder")
    assert [p.parent for p in written] == [tmp_path / "figures"] * 2
    assert all(p.is_file() for p in written)
    monkeypatch.setenv("ANALYSIS_PROJECT", str(tmp_path / "archive"))
    written = plots.save(fig, "default_folder")
    assert [p.parent for p in written] == [tmp_path / "archive" / "output" / "figures"] * 2


@pytest.mark.parametrize("name", ["Bad Name", "图表", "", "_lead", "chart.png", "../up", "Upper", "x\n", "a/b"])
def test_save_rejects_bad_names(font_path, tmp_path, name):
    fig, _ = plots.new_figure("标题")
    with pytest.raises(ValueError, match="slug"):
        plots.save(fig, name, folder=tmp_path)
    assert not any(tmp_path.iterdir())


# --- colours -----------------------------------------------------------------


def test_color_map_is_positional_and_stable():
    keys = ["e01", "e02", "e03"]
    assert plots.color_map(keys) == {"e01": plots.PALETTE[0], "e02": plots.PALETTE[1], "e03": plots.PALETTE[2]}
    grown = plots.color_map(keys + ["e04"])
    assert {k: grown[k] for k in keys} == plots.color_map(keys)
    many = [f"t{i:02d}" for i in range(len(plots.PALETTE) + 3)]
    mapping = plots.color_map(many)
    assert list(mapping) == many
    assert mapping[many[len(plots.PALETTE)]] == plots.PALETTE[0]
    assert len(set(plots.PALETTE)) == len(plots.PALETTE) >= 20
    with pytest.raises(ValueError):
        plots.color_map(["a", "b", "a"])


def test_bar_chart_uses_colour_dict(font_path):
    df = topic_frame(CJK_WORDS[:3])
    colors = plots.color_map(CJK_WORDS[:3])
    fig = plots.bar_chart(df, x="topic", y="turns", title="颜色", colors=colors)
    faces = [matplotlib.colors.to_hex(p.get_facecolor()) for p in fig.axes[0].patches]
    assert faces == [colors[t].lower() for t in CJK_WORDS[:3]]


# --- layout ------------------------------------------------------------------


def test_new_figure_subtitle_clears_title_and_axes(font_path):
    fig, axes = plots.new_figure("各场活动的话题分布", "Topic share per event", ncols=2)
    for ax in axes:
        ax.bar(["开源", "护城河"], [3, 4])
        ax.set_title("小标题")
    renderer = draw(fig)
    (title,) = [t for t in fig.texts if t.get_text() == "各场活动的话题分布"]
    (subtitle,) = [t for t in fig.texts if t.get_text() == "Topic share per event"]
    title_box = title.get_window_extent(renderer)
    subtitle_box = subtitle.get_window_extent(renderer)
    assert title_box.y1 <= fig.bbox.y1
    assert title_box.y0 >= subtitle_box.y1
    assert not title_box.overlaps(subtitle_box)
    for ax in axes:
        axes_box = ax.get_tightbbox(renderer)
        assert subtitle_box.y0 > axes_box.y1
        assert not subtitle_box.overlaps(axes_box)


def inside(box, outer, tol=0.5):
    return box.x0 >= outer.x0 - tol and box.x1 <= outer.x1 + tol and box.y0 >= outer.y0 - tol and box.y1 <= outer.y1 + tol


@pytest.mark.parametrize("horizontal", [False, True])
def test_long_chinese_tick_labels_stay_inside_figure(font_path, horizontal):
    fig = plots.bar_chart(
        topic_frame(LONG_LABELS), x="topic", y="turns", title="长标签", subtitle="Long labels", horizontal=horizontal
    )
    renderer = draw(fig)
    ax = fig.axes[0]
    labels = ax.get_yticklabels() if horizontal else ax.get_xticklabels()
    boxes = [label.get_window_extent(renderer) for label in labels if label.get_text()]
    assert len(boxes) == len(LONG_LABELS)
    for box in boxes:
        assert inside(box, fig.bbox), box
    for left, right in zip(boxes, boxes[1:]):
        assert not left.overlaps(right)
    for annotation in ax.texts:
        assert inside(annotation.get_window_extent(renderer), fig.bbox)


def test_stacked_bars_label_segments_directly_when_every_category_fits(font_path):
    fig = build_reference_figure()
    ax = fig.axes[0]
    assert ax.get_legend() is None
    assert sorted(t.get_text() for t in ax.texts) == ["开源", "开源", "护城河", "算力与芯片"]


def test_stacked_legend_does_not_cover_bars(font_path):
    """A category too thin to label anywhere brings the legend back, outside the plot."""
    frame = pd.DataFrame({"event": ["拾象", "拾象", "极客公园", "极客公园", "极客公园"],
                          "topic": ["开源", "护城河", "开源", "算力与芯片", "安全"],
                          "turns": [3, 5, 2, 7, 0.2]})
    fig = plots.stacked_bar_chart(frame, index="event", columns="topic", values="turns",
                                  title="话题构成", subtitle="Topic mix")
    renderer = draw(fig)
    ax = fig.axes[0]
    legend_box = ax.get_legend().get_window_extent(renderer)
    assert not legend_box.overlaps(ax.get_window_extent(renderer))
    assert inside(legend_box, fig.bbox)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["开源", "护城河", "算力与芯片",
                                                                 "安全"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["拾象", "极客公园"]


# --- network and line chart labels -------------------------------------------------


def _crowded_graph():
    """A hub with many spokes and a few cross links: the shape that piled labels up."""
    import networkx as nx

    graph = nx.Graph()
    names = ["大模型", "开源", "OpenAI", "Google", "Microsoft", "ChatGPT", "GPT-4", "GPT-3.5",
             "Fine-tune", "多模态", "算力", "Stable Diffusion", "字节跳动", "Transformer",
             "Embedding", "Token", "API", "李开复"]
    for i, name in enumerate(names):
        graph.add_node(name, count=40 - 2 * i, type=["company", "concept", "model"][i % 3])
    for name in names[1:]:
        graph.add_edge("大模型", name, weight=3)
    for a, b in zip(names[1:], names[2:]):
        graph.add_edge(a, b, weight=1)
    return graph


def test_network_labels_do_not_overlap_and_picture_repeats(font_path, tmp_path):
    graph = _crowded_graph()
    pngs = []
    for run in range(2):
        fig = plots.network(graph, title="实体共现网络", type_names={"company": "公司", "concept": "概念",
                                                                  "model": "模型"})
        renderer = draw(fig)
        ax = fig.axes[0]
        labels = [t for t in ax.texts if t.get_text() in graph]
        assert sorted(t.get_text() for t in labels) == sorted(graph)
        boxes = [t.get_window_extent(renderer) for t in labels]
        overlapping = [(labels[i].get_text(), labels[j].get_text())
                       for i in range(len(boxes)) for j in range(i + 1, len(boxes))
                       if boxes[i].overlaps(boxes[j])]
        assert not overlapping
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["公司", "概念", "模型"]
        plots.save(fig, "net", folder=tmp_path / str(run))
        pngs.append((tmp_path / str(run) / "net.png").read_bytes())
    assert pngs[0] == pngs[1]


def test_line_chart_names_lines_at_their_ends_without_overlap(font_path):
    frame = pd.DataFrame({"when": ["三月", "八月"] * 3, "term": ["开源"] * 2 + ["应用"] * 2 + ["算力"] * 2,
                          "rate": [1.0, 30.0, 2.0, 30.5, 3.0, 29.8]})
    fig = plots.line_chart(frame, x="when", y="rate", series="term", title="走势")
    renderer = draw(fig)
    ax = fig.axes[0]
    assert ax.get_legend() is None
    names = [t for t in ax.texts if t.get_text() in {"开源", "应用", "算力"}]
    assert len(names) == 3
    boxes = [t.get_window_extent(renderer) for t in names]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    for box in boxes:
        assert inside(box, fig.bbox)


def test_heatmap_mutes_cells_under_the_minimum_and_marks_missing_ones(font_path):
    """Few units: grey whatever the value (its number kept); no data: a grey dash; each
    encoding named in a legend under the chart."""
    matrix = pd.DataFrame([[1.0, -1.0], [0.2, np.nan]], index=["甲", "乙"], columns=["开源", "算力"])
    faded = pd.DataFrame([[True, False], [True, False]], index=matrix.index, columns=matrix.columns)
    fig = plots.heatmap(matrix, title="立场", diverging=True, faded=faded, vmax=1,
                        scale_ends=("反对", "支持"))
    ax = fig.axes[0]
    grey = [p for p in ax.patches if p.get_fill()]
    assert len(grey) == 2 and all(matplotlib.colors.to_hex(p.get_facecolor())
                                  == style.MUTED_CELL.lower() for p in grey)
    assert not [p for p in ax.patches if p.get_hatch()]  # stripes are for inferred speakers
    assert [t.get_text() for t in ax.texts] == ["1", "-1", "0", "—"]  # default fmt; a dash for no data
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["不足 3 个单元（灰）", "无数据"]
    bar = fig.axes[1]
    draw(fig)
    assert [t.get_text() for t in bar.get_yticklabels()] == ["-1 反对", "0", "+1 支持"]


def test_heatmap_faded_rows_hatch_every_filled_cell_of_the_row(font_path):
    matrix = pd.DataFrame([[1.0, 2.0], [3.0, np.nan]], index=["甲", "乙"], columns=["开源", "算力"])
    fig = plots.heatmap(matrix, title="话题", faded_rows=pd.Series([False, True]))
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert [p.get_xy() for p in hatched] == [(-0.5, 0.5)]  # row 乙, its one filled cell


def test_line_chart_with_dates_spaces_points_by_real_dates():
    import matplotlib.dates as mdates

    from analysis import charts as plots

    dates = pd.to_datetime(["2022-01-01", "2022-02-01", "2024-01-01"])
    frame = pd.DataFrame({"when": list(dates) * 2, "term": ["a"] * 3 + ["b"] * 3,
                          "v": [1, 2, 3, 3, 2, 1]})
    fig = plots.line_chart(frame, x="when", y="v", series="term", title="t")
    xs = fig.axes[0].lines[0].get_xdata()
    assert list(xs) == [mdates.date2num(d) for d in dates]  # not 0, 1, 2
