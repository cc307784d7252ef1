"""Figures of notebook 04, stances: rows against, mixed and for on each target, by speaker
and by event, drawn from the rows a chart may show (analysis.estimates.stances: confirmed
solid, automatic outlined, suggested never), with the whole sentence behind each target.

A group with fewer than FEW_ROWS shown rows on a target is not drawn: `stance_minor_rows`
lists it (the notebook shows that table under the chart)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.charts.bars import diverging_bars
from analysis.charts.registry import FINDING_MIN_UNITS, Chart, Context, Evidence, figure
from analysis.charts.style import SMALL_PT, _wrap, new_figure
from analysis.estimates.intervals import wilson_low
from analysis.estimates.stances import FEW_ROWS, shown_rows

TABLE_ROWS = 8  # stance rows a chart lists as a table (the notebook lists them all)
TABLE_LINES = 17  # text lines a table figure holds at SMALL_PT
PANEL_ROWS = 12  # at most this many groups per target panel: the ones with most rows


def _named(ctx: Context) -> set:
    """Speakers whose words a slide may quote under their name: people, not inferred."""
    speakers = ctx.speakers
    return set(speakers.index[speakers["is_person"] & (speakers["inferred_share"] <= 0.5)])


def _unnamed(ctx: Context) -> int:
    """Shown rows of speakers who are not people (an article's editor, an anonymous
    participant): the speaker chart leaves them out and says how many."""
    rows = shown_rows(ctx.stance_rows)
    people = set(ctx.speakers.index[ctx.speakers["is_person"]])
    return int((~rows["speaker_id"].isin(people)).sum())


def _grouped(ctx: Context, by: str) -> tuple[pd.DataFrame, list, dict]:
    """Shown rows of the groups a chart draws (people, or event groups), with `group`, the
    group order and labels."""
    rows = shown_rows(ctx.stance_rows)
    if by == "speaker_id":
        speakers = ctx.speakers
        people = set(speakers.index[speakers["is_person"]])
        rows = rows[rows["speaker_id"].isin(people)].assign(group=lambda f: f["speaker_id"])
        inferred = speakers["inferred_share"].fillna(0) > 0.5
        events = dict(zip(ctx.corpus.events["event_id"], ctx.corpus.events["label"]))
        names = speakers["name"]
        repeated = set(names[names.duplicated(keep=False)])
        labels = {s: names.at[s] + (f"（{events.get(speakers.at[s, 'event_id'], '')}）"
                                    if names.at[s] in repeated and "event_id" in speakers else "")
                  + ("（推断）" if inferred.get(s, False) else "") for s in speakers.index}
        order = list(speakers.index)
    else:
        rows = rows.assign(group=rows["event_id"].map(ctx.many.of))
        labels, order = ctx.many.labels, list(ctx.many.order)
    return rows, order, labels


def stance_counts(ctx: Context, by: str) -> pd.DataFrame:
    """Per group and target: shown rows against / mixed / for (`n_*`), how many of them
    are confirmed (`c_*`), n and whether the group is drawn (n >= FEW_ROWS)."""
    rows, order, labels = _grouped(ctx, by)
    side = rows["stance"].map({-1: "con", 0: "neutral", 1: "pro"})
    frame = rows.assign(side=side, sure=rows["status"] == "confirmed")
    counts = []
    for (group, target), part in frame.groupby(["group", "target"], sort=True):
        entry = {"group": group, "target": target, "label": labels.get(group, str(group))}
        for name in ("con", "neutral", "pro"):
            entry[f"n_{name}"] = int((part["side"] == name).sum())
            entry[f"c_{name}"] = int(((part["side"] == name) & part["sure"]).sum())
        entry["n"] = len(part)
        counts.append(entry)
    table = pd.DataFrame(counts, columns=["group", "target", "label", "n_con", "c_con",
                                          "n_neutral", "c_neutral", "n_pro", "c_pro", "n"])
    place = {g: i for i, g in enumerate(order)}
    table = table.assign(_row=table["group"].map(place)).sort_values(["target", "_row", "group"])
    return table.drop(columns="_row").assign(drawn=table["n"] >= FEW_ROWS).reset_index(drop=True)


def stance_minor_rows(ctx: Context, by: str = "speaker_id", *,
                      counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The stances of groups with fewer than FEW_ROWS shown rows on a target: one line per
    row (group, target, stance, status, the whole sentence), for the table under a chart
    (`counts`: `stance_counts`, when the caller has it)."""
    rows, _, labels = _grouped(ctx, by)
    counts = stance_counts(ctx, by) if counts is None else counts
    minor = counts.loc[~counts["drawn"], ["group", "target"]]
    keep = rows.merge(minor, on=["group", "target"])
    out = keep.assign(who=keep["group"].map(labels),
                      target_name=keep["target"].map(ctx.target_names),
                      value=keep["stance"].map({1: "支持", 0: "两面", -1: "反对"}))
    return (out.sort_values(["target", "who", "unit_id"])
            [["who", "target_name", "value", "status", "unit_id", "quote"]]
            .reset_index(drop=True))


def _quotes(rows: pd.DataFrame, named: set | frozenset = frozenset()) -> dict[str, pd.Series]:
    """Per target, the row whose whole sentence a chart quotes: a row on the side most of
    the target's drawn rows take (a quote must not contradict its bars), then a row a named
    person said (`named`: not inferred, not a seat), then confirmed rows whose value
    the lexicon's evidence states first (a flipped row's sentence may say the opposite),
    then the most probable, then the strongest cue; a sentence already quoted for another
    target is not quoted again."""
    agrees = rows["lexicon_stance"] == rows["stance"]
    lean = np.sign(rows.groupby("target")["stance"].transform("sum"))
    ranked = rows.assign(sure=(rows["status"] == "confirmed") & agrees, agrees=agrees,
                         strength=rows["score"].abs(), named=rows["speaker_id"].isin(named),
                         majority=(lean == 0) | (rows["stance"] == lean))
    ranked = ranked.sort_values(["majority", "named", "sure", "agrees", "probability",
                                 "strength", "unit_id"],
                                ascending=[False, False, False, False, False, False, True])
    used, chosen = set(), {}
    for target, part in ranked.groupby("target", sort=True):
        for row in part.itertuples():
            if row.quote and row.quote not in used:
                used.add(row.quote)
                chosen[target] = row
                break
    return chosen


def _table_cells(minor: pd.DataFrame, limit: int = TABLE_ROWS) -> tuple[list, list]:
    """The table's rows (at most `limit`, whole rows only, within TABLE_LINES text lines at
    SMALL_PT) and each row's height in lines, the header's first."""
    cells, lines = [], [1]
    status = minor["status"].nunique() > 1  # a status column only when statuses differ
    for r in minor.head(limit).itertuples():
        quote = _wrap(" ".join(str(r.quote).split()), 34 if not status else 30)
        row = [_wrap(r.who, 10), _wrap(r.target_name, 8), r.value,
               *([{"confirmed": "已确认", "automatic": "自动"}.get(r.status, r.status)]
                 if status else []), quote]
        height = max(str(c).count("\n") + 1 for c in row)
        if sum(lines) + height > TABLE_LINES and cells:  # only whole rows, at a legible size
            break
        if sum(lines) + height > TABLE_LINES:  # the first row alone: its quote cut to fit
            row[-1] = "\n".join(row[-1].split("\n")[:TABLE_LINES - 1]) + "…"
            height = min(height, TABLE_LINES - 1)
        cells.append(row)
        lines.append(height)
    return cells, lines


def _table_figure(title: str, subtitle: str, minor: pd.DataFrame, limit: int = TABLE_ROWS):
    """A figure that lists stance rows as a table (groups with too few rows to draw)."""
    fig = new_figure(title, subtitle)[0]
    ax = fig.axes[0]
    ax.axis("off")
    cells, lines = _table_cells(minor, limit)
    limit = len(cells)
    top = 0.93 if len(minor) > limit else 1.0
    status = len(cells[0]) == 5 if cells else False
    table = ax.table(cellText=cells, colLabels=["谁", "议题", "立场", *(["状态"] if status else []),
                                                "原话"],
                     colWidths=[0.17, 0.13, 0.06, *([0.07] if status else []),
                                0.57 if status else 0.64], cellLoc="left",
                     bbox=[0, 1 - top * sum(lines) / TABLE_LINES, 1, top * sum(lines) / TABLE_LINES])
    table.auto_set_font_size(False)
    table.set_fontsize(SMALL_PT)
    for (r, _), cell in table.get_celld().items():
        cell.set_edgecolor("#dddddd")
        cell.set_height(lines[r] / sum(lines))
    if len(minor) > limit:
        ax.text(0, 0.0, f"另有 {len(minor) - limit} 段未列出（见讲者备注）", fontsize=SMALL_PT,
                color="#666666", transform=ax.transAxes, va="bottom")
    return fig


def _stance_splits(ctx: Context, by: str, who: str, caption: str) -> Chart:
    """Diverging bars per target for the groups with at least FEW_ROWS shown rows; a title
    names a group's stance only when its majority holds at the 90 % lower bound."""
    all_rows = ctx.stance_rows
    rows, _, labels = _grouped(ctx, by)
    counts = stance_counts(ctx, by)
    drawn = counts[counts["drawn"]]
    kept = drawn.sort_values(["n", "group"], ascending=[False, True]).groupby("target").head(
        PANEL_ROWS).index
    hidden = len(drawn) - len(kept)
    drawn = drawn.loc[sorted(kept)]
    minor = stance_minor_rows(ctx, by, counts=counts)
    n_confirmed = int((rows["status"] == "confirmed").sum())
    n_automatic = int((rows["status"] == "automatic").sum())
    n_suggested = int((all_rows["status"] == "suggested").sum())
    left_out = _unnamed(ctx) if by == "speaker_id" else 0
    subtitle = (f"实心：已确认 {n_confirmed} 段 · 空心：自动判断 {n_automatic} 段 · "
                f"待审的 {n_suggested} 段不画"
                + (f" · 非具名发言者的 {left_out} 段不计" if left_out else ""))
    best, evidence = None, None
    for entry in drawn.itertuples():
        for side, k in (("pro", entry.n_pro), ("con", entry.n_con)):
            low = wilson_low(k, entry.n)
            # a stance is a finding with FINDING_MIN_UNITS passages, its majority holding at
            # the low end of the interval
            if (low > 0.5 and entry.n >= FINDING_MIN_UNITS
                    and (best is None or (low, entry.n) > (best[0], best[1].n))):
                best = (low, entry, side)
    if best is not None:
        _, entry, side = best
        sure = entry.c_pro if side == "pro" else entry.c_con
        behind = rows[(rows["group"] == entry.group) & (rows["target"] == entry.target)]
        title = (f"{labels.get(entry.group, entry.group)} {'支持' if side == 'pro' else '反对'}"
                 f"「{ctx.target_names[entry.target]}」：{entry.n} 段发言中 "
                 f"{entry.n_pro if side == 'pro' else entry.n_con} 段"
                 + ("（均已确认）" if sure == entry.n else f"（{sure} 段已确认）"))
        k = entry.n_pro if side == "pro" else entry.n_con
        value = 1 if side == "pro" else -1
        said = behind[behind["stance"] == value]
        person = said["speaker_id"].isin(_named(ctx))
        said = said.assign(unsure=said["status"] != "confirmed", unnamed=~person).sort_values(
            ["unsure", "unnamed", "probability", "unit_id"], ascending=[True, True, False, True])
        quote = said.iloc[0] if len(said) else None
        labels_of = dict(zip(ctx.corpus.events["event_id"], ctx.corpus.events["label"]))
        evidence = Evidence(
            effect=2 * best[0] - 1, n=int(entry.n),
            measure=(f"{labels.get(entry.group, entry.group)} 在「{ctx.target_names[entry.target]}」上 "
                     f"{entry.n} 段表态中 {k} 段{'支持' if side == 'pro' else '反对'}"
                     f"（该方占比 90% 区间下限 {best[0]:.0%}），{sure} 段经分析者确认"),
            quote=quote.quote if quote is not None else "",
            speaker=(f"{ctx.who(quote.speaker_id)}，{labels_of.get(quote.event_id, quote.event_id)}"
                     if quote is not None else ""))
    elif not drawn.empty:
        title = (f"{who}的立场：没有哪一方在 90% 区间上占多数"
                 if (drawn["n"] >= FINDING_MIN_UNITS).any() else
                 f"{who}的立场：没有一组在一个议题上有 {FINDING_MIN_UNITS} 段表态，不足以下结论")
        behind = rows[rows.set_index(["group", "target"]).index.isin(
            pd.MultiIndex.from_frame(drawn[["group", "target"]]))]
    else:
        nobody = "发言者中没有人" if by == "speaker_id" else "没有哪场活动"
        title = (f"{who}的立场：{nobody}在一个议题上有 {FEW_ROWS} 段以上的表态，"
                 + (f"共 {len(minor)} 段，表中列出 {listed} 段"
                    if len(minor) > (listed := len(_table_cells(minor)[0]))
                    else f"{len(minor)} 段列在表中") if len(minor) else
                 f"{who}的立场：还没有可以显示的立场（{n_suggested} 段待审）")
        behind = rows
    status = {"confirmed": "已确认", "automatic": "自动"}
    notes = "依据：\n" + "\n".join(
        f"[{r.unit_id}]（{status.get(r.status, r.status)}，{ctx.target_names[r.target]}，"
        f"{ {1: '支持', 0: '两面', -1: '反对'}[r.stance]}）{r.quote}"
        for r in behind.sort_values(["target", "unit_id"]).itertuples()) if len(behind) else ""
    if len(minor) and not drawn.empty:
        notes += "\n不足 3 段、未画出的：\n" + "\n".join(
            f"{r.who}｜{r.target_name}｜{r.value}｜{r.quote}" for r in minor.itertuples())
    if drawn.empty:
        fig = _table_figure(title, subtitle, minor)
        return Chart(fig, title, f"{who}的已确认立场，每行一段发言（不足 {FEW_ROWS} 段，"
                     "不画成条形）：立场、状态和完整原话。", notes=notes, finding=False)
    chosen = _quotes(rows[rows.set_index(["group", "target"]).index.isin(
        pd.MultiIndex.from_frame(drawn[["group", "target"]]))], named=_named(ctx))
    quotes = {t: r.quote for t, r in chosen.items()}
    footnote = "；".join(part for part in (
        f"另有 {len(minor)} 段属于不足 {FEW_ROWS} 段的人或活动，未画出" if len(minor) else "",
        f"每个议题最多画行数最多的 {PANEL_ROWS} 个，另有 {hidden} 个未画出" if hidden else "")
        if part)
    fig = diverging_bars(drawn, facet="target", label="label", title=title, subtitle=subtitle,
                         facet_titles=ctx.target_names, quotes=quotes,
                         order=[t for t in ctx.cues.ids if t in set(drawn["target"])],
                         min_n=FEW_ROWS, footnote=footnote and footnote + "。",
                         automatic=bool((drawn[["n_con", "n_neutral", "n_pro"]].to_numpy().sum()
                                         > drawn[["c_con", "c_neutral", "c_pro"]].to_numpy().sum())))
    return Chart(fig, title, caption, notes=notes, finding=best is not None, evidence=evidence)


def _shown_by(by: str):
    """A stance chart needs a group (a person for the speaker chart) with FINDING_MIN_UNITS
    shown rows on a target: bars of three to six passages read as findings they are not. shown rows are confirmed by an analyst or automatic
    (at or above the stance model's threshold); suggestions wait in the review queue, and
    groups with fewer rows are the table under the chart in the notebook."""
    def available(ctx: Context) -> bool:
        if not len(shown_rows(ctx.stance_rows)):
            return False
        counts = stance_counts(ctx, by)
        return bool(len(counts)) and bool((counts["n"] >= FINDING_MIN_UNITS).any())
    return available


NOTHING_SHOWN = ("no person or event has 10 shown stance rows on a target yet (shown: confirmed, "
                 "or automatic at the stance model's threshold) -> the table below lists the "
                 "rows there are; review suggestions with analysis.review_stances() in JupyterLab")


@figure("04_stances_by_speaker", "04_stances.ipynb", "立场", available=_shown_by("speaker_id"),
        unavailable=NOTHING_SHOWN)
def stances_by_speaker(ctx: Context) -> Chart:
    return _stance_splits(ctx, "speaker_id", "发言者",
                          f"至少有 {FEW_ROWS} 段表态的发言者在各议题上的立场：左为反对、右为支持、灰为两面；"
                          "实心为分析者确认，空心为自动判断（概率达到阈值），待审的建议不画；"
                          "每个议题下引一句原话（整句，过长时在逗号处截取）。")


@figure("04_stances_by_event", "04_stances.ipynb", "立场", available=_shown_by("event_group"),
        unavailable=NOTHING_SHOWN)
def stances_by_event(ctx: Context) -> Chart:
    return _stance_splits(ctx, "event_group", "各场活动",
                          "各场活动在各议题上的表态行（低契合的活动不计）：左为反对、右为支持、灰为两面；"
                          "实心为分析者确认，空心为自动判断，待审的建议不画。")
