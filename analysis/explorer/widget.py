"""The explorer's widgets (ipywidgets): they only call `Explorer`'s views and show the results.

Elements carry CSS classes (`explore-search`, `explore-results`, `explore-cell`,
`explore-unit`, `explore-override-topic`, `explore-status` ...) so that a browser test can
find them. Every interaction reports its time in the status line.
"""

from __future__ import annotations

import html
import time

import ipywidgets as w
import pandas as pd

from analysis.explorer.views import PAGE, TOP, Explorer, Filters

_STANCES = [("+1 支持", 1), ("0 中立", 0), ("-1 反对", -1), ("删除该行", None)]


def _shade(count: int, most: int) -> str:
    """White to deep blue by the share of the largest count."""
    share = 0 if most == 0 else count / most
    red, green = (int(255 - share * (255 - c)) for c in (33, 102))
    return f"#{red:02x}{green:02x}{int(255 - share * (255 - 172)):02x}"


def _table(frame: pd.DataFrame, columns: list[str], raw: set[str] = frozenset()) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(
        f"<td>{row[c] if c in raw else html.escape(str(row[c]))}</td>" for c in columns)
        + "</tr>" for row in frame.to_dict("records"))
    return f"<table class='explore-table'><tr>{head}</tr>{body}</table>"


class ExplorerWidget:
    """Filters, search, matrix, cell list and unit view in one box (`.box`)."""

    def __init__(self, explorer: Explorer) -> None:
        self.ex = explorer
        self.timings: list[tuple[str, float]] = []
        self.page = 0
        self.cell_key: tuple[str, str] | None = None
        self.unit_id: str | None = None
        self.cell_quotes: dict[str, w.HTML] = {}
        corpus = explorer.corpus
        units = explorer.units
        busy = units.groupby("speaker_id").size().sort_values(ascending=False, kind="stable")

        def multi(description, options, css):
            box = w.SelectMultiple(options=options, rows=5, description=description,
                                   layout=w.Layout(width="240px"),
                                   style={"description_width": "48px"})
            box.add_class(css)
            box.observe(self._filters_changed, "value")
            return box

        events = corpus.events.sort_values(["date", "metadata_order"])
        self.f_events = multi("事件", [(explorer.event_label[e], e) for e in events["event_id"]],
                              "explore-filter-events")
        self.f_speakers = multi("说话人", [(explorer.speaker_label[s], s) for s in busy.index],
                                "explore-filter-speakers")
        self.f_roles = multi("角色", [(explorer.role_names.get(r, r), r) for r in
                                    sorted(units["role"].dropna().unique())], "explore-filter-roles")
        self.f_topics = multi("话题", [(explorer.topic_names[t], t) for t in explorer.book.ids],
                              "explore-filter-topics")
        self.f_targets = multi("立场", [(explorer.target_names[t], t) for t in explorer.cues.ids],
                               "explore-filter-targets")
        months = sorted({d.to_period("M") for d in events["date"]})
        options = [(str(m), m) for m in months] or [("-", None)]
        self.f_dates = w.SelectionRangeSlider(options=options, index=(0, len(options) - 1),
                                              description="时间", layout=w.Layout(width="480px"))
        self.f_dates.observe(self._filters_changed, "value")

        self.query = w.Text(placeholder="搜索：词或实体（OpenAI 也找到 open eye）",
                            continuous_update=False, layout=w.Layout(width="360px"))
        self.query.add_class("explore-search")
        self.query.observe(lambda _: self._search(reset=True), "value")
        self.sort = w.Dropdown(options=[("按事件", "event"), ("按说话人", "speaker"),
                                        ("按左文", "left"), ("按右文", "right")],
                               layout=w.Layout(width="110px"))
        self.sort.observe(lambda _: self._search(reset=True), "value")
        self.previous, self.next = w.Button(description="上一页"), w.Button(description="下一页")
        self.previous.on_click(lambda _: self._turn(-1))
        self.next.on_click(lambda _: self._turn(1))
        self.results = w.HTML()
        self.results.add_class("explore-results")
        self.counts = w.HTML()

        self.by = w.ToggleButtons(options=[("说话人", "speaker"), ("事件", "event")])
        self.by.observe(lambda _: self._matrix(), "value")
        self.row_labels = [w.HTML(html.escape(explorer.topic_names[t])) for t in explorer.book.ids]
        self.col_labels = [w.HTML() for _ in range(TOP)]
        self.cells = [[self._cell_button() for _ in range(TOP)]
                      for r in range(len(explorer.book.ids))]
        self.grid = w.GridBox(
            [w.HTML("")] + self.col_labels + [x for r, row in enumerate(self.cells)
                                              for x in (self.row_labels[r], *row)],
            layout=w.Layout(grid_template_columns=f"140px repeat({TOP}, 64px)",
                            grid_gap="2px"))
        self.cell_title = w.HTML()
        self.cell_list = w.VBox()
        self.cell_list.add_class("explore-cell-units")

        self.unit_html = w.HTML()
        self.unit_html.add_class("explore-unit-view")
        self.o_topic = w.Dropdown(options=[(explorer.topic_names[t], t) for t in explorer.book.ids],
                                  layout=w.Layout(width="160px"))
        self.o_topic.add_class("explore-override-topic-choice")
        self.o_action = w.Dropdown(options=[("加上", False), ("去掉", True)],
                                   layout=w.Layout(width="80px"))
        self.o_topic_go = w.Button(description="写入话题覆盖")
        self.o_topic_go.add_class("explore-override-topic")
        self.o_topic_go.on_click(lambda _: self._override(topic=self.o_topic.value,
                                                          remove=self.o_action.value))
        self.o_target = w.Dropdown(options=[(explorer.target_names[t], t) for t in explorer.cues.ids],
                                   layout=w.Layout(width="160px"))
        self.o_stance = w.Dropdown(options=_STANCES, layout=w.Layout(width="100px"))
        self.o_stance_go = w.Button(description="写入立场覆盖")
        self.o_stance_go.add_class("explore-override-stance")
        self.o_stance_go.on_click(lambda _: self._override(target=self.o_target.value,
                                                           stance=self.o_stance.value))
        self.o_note = w.Text(placeholder="备注（写进 overrides.yaml）", layout=w.Layout(width="300px"))
        self.overrides = w.VBox([w.HBox([self.o_topic, self.o_action, self.o_topic_go]),
                                 w.HBox([self.o_target, self.o_stance, self.o_stance_go]),
                                 self.o_note], layout=w.Layout(display="none"))

        self.status = w.HTML()
        self.status.add_class("explore-status")
        style = w.HTML("<style>.explore-table{border-collapse:collapse;font-size:12px}"
                       ".explore-table td,.explore-table th{border-bottom:1px solid #ddd;"
                       "padding:2px 6px;text-align:left;vertical-align:top}"
                       ".explore-kw{color:#b00;font-weight:bold}"
                       ".explore-current{background:#fff6d5}</style>")
        self.box = w.VBox([
            style, w.HTML("<b>筛选</b>（每个视图都按这些筛选）"),
            w.HBox([self.f_events, self.f_speakers, self.f_roles]),
            w.HBox([self.f_topics, self.f_targets, self.f_dates]),
            w.HTML("<b>搜索</b>"), w.HBox([self.query, self.sort, self.previous, self.next]),
            self.counts, self.results,
            w.HTML("<b>话题 × 说话人 / 事件</b>（单元数；点击格子看原话）"), self.by, self.grid,
            self.cell_title, self.cell_list,
            w.HTML("<b>单元</b>"), self.unit_html, self.overrides, self.status])
        self._matrix()

    # --- helpers --------------------------------------------------------------------------

    def _timed(self, name: str, started: float, note: str = "") -> None:
        seconds = time.perf_counter() - started
        self.timings.append((name, seconds))
        self.status.value = (f"<span class='explore-timing' data-step='{name}' "
                             f"data-ms='{seconds * 1000:.0f}'>{html.escape(name)}: "
                             f"{seconds * 1000:.0f} ms</span> {html.escape(note)}")

    def filters(self) -> Filters:
        start, end = self.f_dates.value
        return Filters(events=tuple(self.f_events.value), speakers=tuple(self.f_speakers.value),
                       roles=tuple(self.f_roles.value), topics=tuple(self.f_topics.value),
                       targets=tuple(self.f_targets.value),
                       start=start.start_time if start is not None else None,
                       end=end.end_time if end is not None else None)

    def _filters_changed(self, _change=None) -> None:
        started = time.perf_counter()
        self._search(reset=True, timed=False)
        self._matrix(timed=False)
        self._timed("filters", started)

    # --- search ---------------------------------------------------------------------------

    def _turn(self, step: int) -> None:
        self.page = max(0, self.page + step)
        self._search()

    def _search(self, reset: bool = False, timed: bool = True) -> None:
        started = time.perf_counter()
        if reset:
            self.page = 0
        if not self.query.value.strip():
            self.results.value, self.counts.value = "", ""
            return
        found, counts = self.ex.search(self.query.value, self.filters(), sort=self.sort.value)
        pages = max(1, -(-len(found) // PAGE))
        self.page = min(self.page, pages - 1)
        shown = found.iloc[self.page * PAGE:(self.page + 1) * PAGE].assign(
            match=lambda f: [f"<span class='explore-kw'>{html.escape(k)}</span>"
                             for k in f["keyword"]],
            event=lambda f: f["event_id"].map(self.ex.event_label))
        self.counts.value = (f"{len(found)} 处，第 {self.page + 1}/{pages} 页；每个事件："
                             + "，".join(f"{html.escape(self.ex.event_label[e])} {n}"
                                        for e, n in counts.items()))
        self.results.value = _table(shown, ["pre", "match", "post", "speaker", "event"],
                                    raw={"match"})
        if timed:
            self._timed("search", started, f"{len(found)} hits")

    # --- matrix, cell, unit ---------------------------------------------------------------

    def _cell_button(self) -> w.Button:
        button = w.Button(description="", layout=w.Layout(width="64px", height="28px"))
        button.add_class("explore-cell")
        button.on_click(lambda b: self._open_cell(b._key))
        button._key = None
        return button

    def _matrix(self, timed: bool = True) -> None:
        started = time.perf_counter()
        by = self.by.value
        table = self.table = self.ex.matrix(self.filters(), by=by)
        most = int(table.to_numpy().max()) if table.size else 0
        names = self.ex.speaker_label if by == "speaker" else self.ex.event_label
        for c, label in enumerate(self.col_labels):
            key = table.columns[c] if c < len(table.columns) else None
            label.value = (f"<div style='font-size:11px;writing-mode:vertical-rl;height:120px;"
                           f"white-space:nowrap;overflow:hidden;text-overflow:ellipsis'>"
                           f"{html.escape(names.get(key, str(key)))}</div>" if key else "")
        for r, topic in enumerate(self.ex.book.ids):
            for c, button in enumerate(self.cells[r]):
                key = table.columns[c] if c < len(table.columns) else None
                count = int(table.at[topic, key]) if key is not None and topic in table.index else 0
                button._key = (topic, key) if key is not None and count else None
                button.description = str(count) if key is not None else ""
                button.disabled = not count
                button.style.button_color = _shade(count, most) if key is not None else "#ffffff"
                button.tooltip = (f"{self.ex.topic_names[topic]} × {names.get(key, key)}: "
                                  f"{count} 个单元") if key is not None else ""
        if timed:
            self._timed("matrix", started)

    def _open_cell(self, key: tuple[str, str] | None) -> None:
        if key is None:
            return
        started = time.perf_counter()
        self.cell_key = key
        topic, column = key
        units = self.ex.cell(topic, column, self.filters(), by=self.by.value, limit=PAGE)
        total = int(self.table.at[topic, column])
        names = self.ex.speaker_label if self.by.value == "speaker" else self.ex.event_label
        self.cell_title.value = (f"<b>{html.escape(self.ex.topic_names[topic])} × "
                                 f"{html.escape(names.get(column, column))}</b>：{total} 个单元"
                                 + (f"（显示前 {PAGE} 个）" if total > PAGE else ""))
        rows, self.cell_quotes = [], {}
        for unit in units.to_dict("records"):
            button = w.Button(description=unit["unit_id"].split(".")[-1],
                              tooltip=unit["unit_id"], layout=w.Layout(width="80px"))
            button.add_class("explore-unit")
            button.on_click(lambda _, u=unit["unit_id"]: self._open_unit(u))
            text = w.HTML(self._quote(unit["speaker"], unit["event_id"], unit["html"]),
                          layout=w.Layout(width="900px"))
            self.cell_quotes[unit["unit_id"]] = text
            rows.append(w.HBox([button, text]))
        self.cell_list.children = rows
        self._timed("cell", started, f"{total} units")

    def _quote(self, speaker: str, event: str, marked: str) -> str:
        return (f"<div class='explore-quote'><small>{html.escape(speaker)} · "
                f"{html.escape(self.ex.event_label[event])}</small><br>{marked}</div>")

    def _open_unit(self, unit_id: str) -> None:
        started = time.perf_counter()
        self.unit_id = unit_id
        view = self.ex.unit(unit_id)
        context = "".join(
            f"<div class='{'explore-current' if row['current'] else ''}' style='margin:4px 0'>"
            f"<small>{html.escape(row['speaker'])} · {html.escape(row['unit_id'])}</small><br>"
            f"{row['html']}</div>" for row in view["context"].to_dict("records"))
        topics = _table(view["topics"], ["name", "matched", "salience", "source"]) \
            if len(view["topics"]) else "<i>没有话题</i>"
        stances = _table(view["stances"], ["name", "stance", "cue", "evidence", "source"]) \
            if len(view["stances"]) else "<i>没有立场</i>"
        self.unit_html.value = (f"<div>{context}</div><b>话题</b>{topics}<b>立场</b>{stances}")
        self.overrides.layout.display = "flex"
        self._timed("unit", started)

    def _override(self, **change) -> None:
        if self.unit_id is None:
            return
        started = time.perf_counter()
        entry = self.ex.override(self.unit_id, note=self.o_note.value.strip(), **change)
        self._matrix(timed=False)
        if self.cell_key and change.get("topic") == self.cell_key[0]:
            self._open_cell(self.cell_key)  # the cell may gain or lose this unit
        elif self.unit_id in self.cell_quotes:  # only its marks change
            units = self.ex.units
            self.cell_quotes[self.unit_id].value = self._quote(
                units.at[self.unit_id, "speaker"],
                units.at[self.unit_id, "event_id"],
                self.ex.marked(self.unit_id, {self.cell_key[0]}))
        self._open_unit(self.unit_id)
        if self.f_topics.value or self.f_targets.value:  # else the hits do not depend on codes
            self._search(timed=False)
        what = (f"topic {entry['topic']} {'removed' if entry.get('remove') else 'added'}"
                if "topic" in entry else f"stance {entry['target']} = {entry['stance']}")
        self._timed("override", started, f"overrides.yaml: {what} for {self.unit_id}")


TOPIC_KEYS = "1234567890qwertyuiop"
"""With the pointer over the labelling view, these keys tick the topics in codebook order;
Enter saves, → skips, Backspace undoes."""


class LabellingWidget:
    """The labelling view (`.box`): the unit between its neighbours, a check box per topic, a
    choice per stance target, and save / skip / undo with the progress; keyboard shortcuts
    (TOPIC_KEYS, Enter, →, Backspace) through ipyevents. CSS classes (`label-unit`,
    `label-topic-<id>`, `label-stance-<id>`, `label-save`, `label-skip`, `label-undo`,
    `label-progress`) let a browser test find them."""

    def __init__(self, labelling) -> None:
        self.lab = labelling
        self.unit = w.HTML()
        self.unit.add_class("label-unit")
        self.topics = {}
        for number, topic in enumerate(labelling.book.ids):
            key = f"[{TOPIC_KEYS[number]}] " if number < len(TOPIC_KEYS) else ""
            box = w.Checkbox(value=False,
                             description=key + labelling.book.names().get(topic, topic),
                             indent=False, layout=w.Layout(width="170px"))
            box.add_class(f"label-topic-{topic}")
            self.topics[topic] = box
        self.stances = {}
        for target in labelling.cues.ids:
            choice = w.ToggleButtons(options=[("无", None), ("+1", 1), ("0", 0), ("-1", -1)],
                                     value=None,
                                     description=labelling.cues.names().get(target, target),
                                     style={"button_width": "44px", "description_width": "140px"})
            choice.add_class(f"label-stance-{target}")
            self.stances[target] = choice
        self.progress = w.HTML()
        self.progress.add_class("label-progress")
        buttons = []
        for text, css, action in (("保存并下一个", "label-save", self._save),
                                  ("跳过", "label-skip", self._skip),
                                  ("撤销", "label-undo", self._undo)):
            button = w.Button(description=text)
            button.add_class(css)
            button.on_click(lambda _, action=action: action())
            buttons.append(button)
        keys = w.HTML("<span style='color:#888'>快捷键（鼠标停在此区域内）：数字/字母键勾选话题，"
                      "Enter 保存并下一个，→ 跳过，Backspace 撤销</span>")
        self.box = w.VBox([self.progress, self.unit,
                           w.HBox(list(self.topics.values()), layout=w.Layout(flex_flow="row wrap")),
                           w.VBox(list(self.stances.values())), w.HBox(buttons), keys])
        self.box.add_class("label-view")
        from ipyevents import Event

        self.events = Event(source=self.box, watched_events=["keydown"],
                            prevent_default_action=True)
        self.events.on_dom_event(self.key)
        self._show()

    def key(self, event: dict) -> None:
        """A key pressed over the view: a topic key toggles its topic; Enter saves, → skips,
        Backspace undoes; other keys do nothing."""
        key = event.get("key", "")
        if event.get("ctrlKey") or event.get("metaKey") or event.get("altKey"):
            return
        if key == "Enter":
            self._save()
        elif key == "ArrowRight":
            self._skip()
        elif key == "Backspace":
            self._undo()
        elif len(key) == 1 and key.lower() in TOPIC_KEYS:
            number = TOPIC_KEYS.index(key.lower())
            boxes = list(self.topics.values())
            if number < len(boxes):
                boxes[number].value = not boxes[number].value

    def _show(self, note: str = "") -> None:
        unit = self.lab.current()
        self.progress.value = (f"<b>{html.escape(self.lab.progress)}</b> "
                               f"<span>{html.escape(note)}</span>")
        for box in self.topics.values():
            box.value = False
        for choice in self.stances.values():
            choice.value = None
        if unit is None:
            self.unit.value = "<p>所有抽出的单元都已标注（或跳过）。</p>"
            return
        context = "".join(f"<p style='color:#888'>{html.escape(t)}</p>" for t in unit["before"])
        after = "".join(f"<p style='color:#888'>{html.escape(t)}</p>" for t in unit["after"])
        self.unit.value = (f"<div data-unit='{html.escape(unit['unit_id'])}'>{context}"
                           f"<p style='font-size:1.15em'><b>{html.escape(unit['text'])}</b></p>"
                           f"{after}</div>")

    def _save(self) -> None:
        try:
            unit = self.lab.save([t for t, box in self.topics.items() if box.value],
                                 {t: c.value for t, c in self.stances.items() if c.value is not None})
        except ValueError as err:  # nothing left to answer
            self._show(str(err))
            return
        self._show(f"已保存 {unit['unit_id']}")

    def _skip(self) -> None:
        unit = self.lab.skip()
        self._show(f"已跳过 {unit['unit_id']}" if unit else "")

    def _undo(self) -> None:
        uid = self.lab.undo()
        self._show(f"已撤销 {uid}" if uid else "没有可撤销的")


REVIEW_KEYS = {"Enter": "confirm", "y": "confirm", "f": "flip", "n": "neutral", "x": "reject",
               "Delete": "reject"}


class ReviewWidget:
    """The review queue (`.box`): the suggested stance in its unit between the neighbours,
    the whole sentence highlighted; confirm / flip / neutral / reject / skip / undo with the
    progress; keys (REVIEW_KEYS, → skips, Backspace undoes) through ipyevents. CSS classes
    (`review-unit`, `review-confirm`, `review-flip`, `review-neutral`, `review-reject`,
    `review-skip`, `review-undo`, `review-progress`) let a browser test find them."""

    def __init__(self, review) -> None:
        self.review = review
        self.unit = w.HTML()
        self.unit.add_class("review-unit")
        self.progress = w.HTML()
        self.progress.add_class("review-progress")
        buttons = []
        for text, css, action in (("确认 [Enter]", "review-confirm", lambda: self._answer("confirm")),
                                  ("反转 [f]", "review-flip", lambda: self._answer("flip")),
                                  ("两面 [n]", "review-neutral", lambda: self._answer("neutral")),
                                  ("不是立场 [x]", "review-reject", lambda: self._answer("reject")),
                                  ("跳过 [→]", "review-skip", self._skip),
                                  ("撤销 [Backspace]", "review-undo", self._undo)):
            button = w.Button(description=text, layout=w.Layout(width="auto"))
            button.add_class(css)
            button.on_click(lambda _, action=action: action())
            buttons.append(button)
        keys = w.HTML("<span style='color:#888'>快捷键（鼠标停在此区域内）：Enter/y 确认，f 反转，"
                      "n 两面，x 不是立场，→ 跳过，Backspace 撤销</span>")
        self.box = w.VBox([self.progress, self.unit, w.HBox(buttons), keys])
        self.box.add_class("review-view")
        from ipyevents import Event

        self.events = Event(source=self.box, watched_events=["keydown"],
                            prevent_default_action=True)
        self.events.on_dom_event(self.key)
        self._show()

    def key(self, event: dict) -> None:
        """A key pressed over the view: REVIEW_KEYS answer, → skips, Backspace undoes."""
        key = event.get("key", "")
        if event.get("ctrlKey") or event.get("metaKey") or event.get("altKey"):
            return
        if key in REVIEW_KEYS:
            self._answer(REVIEW_KEYS[key])
        elif key == "ArrowRight":
            self._skip()
        elif key == "Backspace":
            self._undo()

    def _show(self, note: str = "") -> None:
        unit = self.review.current()
        self.progress.value = (f"<b>{html.escape(self.review.progress)}</b> "
                               f"<span>{html.escape(note)}</span>")
        if unit is None:
            self.unit.value = "<p>审阅队列已经做完。</p>"
            return
        text = html.escape(unit["text"])
        quote = html.escape(unit["quote"].strip("…"))
        if quote and quote in text:
            text = text.replace(quote, f"<mark>{quote}</mark>", 1)
        grey = "".join(f"<p style='color:#888'>{html.escape(t)}</p>" for t in unit["before"])
        after = "".join(f"<p style='color:#888'>{html.escape(t)}</p>" for t in unit["after"])
        self.unit.value = (
            f"<div data-unit='{html.escape(unit['unit_id'])}' "
            f"data-target='{html.escape(unit['target'])}'>"
            f"<p><b>{html.escape(unit['target_name'])}</b>：{html.escape(unit['question'])}</p>"
            f"<p>建议：<b>{html.escape(unit['value'])}</b>（概率 {unit['probability']:.2f}，"
            f"{html.escape(unit['speaker'])}，{html.escape(unit['unit_id'])}）</p>"
            f"{grey}<p style='font-size:1.15em'>{text}</p>{after}</div>")

    def _answer(self, decision: str) -> None:
        try:
            entry = self.review.answer(decision)
        except ValueError as err:
            self._show(str(err))
            return
        self._show(f"已记录：{entry['target']} = {entry['stance']}")

    def _skip(self) -> None:
        unit = self.review.skip()
        self._show(f"已跳过 {unit['unit_id']}" if unit else "")

    def _undo(self) -> None:
        unit = self.review.undo()
        self._show("已撤销" if unit else "没有可撤销的")
