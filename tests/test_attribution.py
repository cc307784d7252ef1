"""Speaker attribution: the model on small dialogues, the corpus columns, analyst
assignments and their validation, switching it off, and the measured accuracy."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import numpy as np

from analysis import load_corpus
from analysis.speakers.attribution import infer, is_backchannel, is_question, load_cues
from analysis.errors import TranscriptError
from analysis.validation.coding import evaluate_attribution
from analysis.project.metadata import Participant

HOST = Participant(id="host", name="王明", aliases=("明哥",), role="host",
                   self_refs=("我的节目",))
GUEST = Participant(id="guest", name="Lisa", role="founder_exec", self_refs=("我们公司",))
LABELS = Path(__file__).parent / "data" / "speaker_labels_indigo_talk.csv"
FIXTURE = Path(__file__).parent / "fixtures" / "new_transcripts"


def test_cues_recognise_questions_and_backchannels():
    cues = load_cues()
    assert is_question("你怎么看这个问题", cues) and is_question("会这样吗", cues)
    assert not is_question("这个是吧，大家都知道", cues)  # rhetorical tag, not a question
    assert is_backchannel("对对", cues) and is_backchannel("嗯，是的", cues)
    assert not is_backchannel("对，我觉得这个方向很好", cues)


def test_model_follows_questions_names_and_self_references():
    cues = load_cues()
    texts = ["大家好，欢迎来到我的节目", "今天请到了 Lisa", "Lisa 你怎么看大模型的机会？",
             "我们公司其实一直在做这个", "我觉得机会很大，而且越来越多", "对",
             "明哥你说得对，我们公司也是这样想的"]
    posterior, best = infer(texts, [HOST, GUEST], {"asks": "host", "answers": "guest"}, cues)
    who = ["host" if b == 0 else "guest" for b in best]
    assert who[0] == "host" and who[2] == "host"      # own show; asks by name
    assert who[3] == "guest" and who[6] == "guest"    # 我们公司; names the host
    assert posterior.shape == (7, 2) and ((posterior >= 0) & (posterior <= 1)).all()


def test_corpus_has_confidence_and_method(corpus):
    u = corpus.utterances
    assert {"speaker_confidence", "speaker_method"} <= set(u.columns)
    methods = u.groupby("event_id")["speaker_method"].agg(lambda s: set(s))
    assert methods["seamate_no86"] == {"label"} and methods["geekpark_llm"] == {"roster"}
    assert {"inferred", "override"} <= methods["indigo_talk"]
    indigo = u[u["event_id"] == "indigo_talk"]
    assert {"indigo_talk.indigo", "indigo_talk.li_houming"} <= set(indigo["speaker_id"])
    threshold = load_cues().threshold
    inferred = indigo[indigo["speaker_method"] == "inferred"]
    named = inferred["speaker_id"] != "indigo_talk.unattributed"
    assert (inferred.loc[named, "speaker_confidence"] >= threshold).all()
    assert (inferred.loc[~named, "speaker_confidence"] < threshold).all()
    # the analyst's assignment of the opening lines wins
    assert set(indigo[indigo["line_start"] <= 4]["speaker_id"]) == {"indigo_talk.li_houming"}
    assert (indigo[indigo["line_start"] <= 4]["speaker_method"] == "override").all()


def test_attribution_can_be_switched_off():
    plain = load_corpus(attribution=False, assignments=False)
    indigo = plain.utterances[plain.utterances["event_id"] == "indigo_talk"]
    assert set(indigo["speaker_id"]) == {"indigo_talk.unattributed"}


EVENT = """\
    events:
      - event_id: talk
        title: A talk
        date: 2023-05
        organiser: us
        format: podcast
        file: talk.txt
        parser: line_fragments
        parser_options: {min_chars: 1}
        participants:
          - {id: wang_ming, name: 王明, role: host}
          - {id: lisa, name: Lisa, role: founder_exec}
        attribution: {ATTRIBUTION}
    """
DIALOGUE = "大家好欢迎收听\n今天聊聊大模型\n你怎么看？\n我觉得机会很大\n对\n好的谢谢\n"


def _seeds_with(make_seeds, assign: str | None = None,
                attribution: str = "asks: wang_ming, answers: lisa") -> Path:
    root = make_seeds(EVENT.replace("ATTRIBUTION", attribution), {"talk.txt": DIALOGUE})
    if assign is not None:
        (root / "attribution").mkdir()
        (root / "attribution" / "talk.yaml").write_text(textwrap.dedent(assign),
                                                         encoding="utf-8")
    return root


def test_assignments_win(make_seeds):
    root = _seeds_with(make_seeds, """\
        assign:
          - {lines: "1-2", speaker: wang_ming}
          - {snippet: "机会很大", speaker: lisa}
        """)
    u = load_corpus(root).utterances
    assert len(u) == 6
    assert (u[u["line_start"] <= 2]["speaker_id"] == "talk.wang_ming").all()
    row = u[u["text"].str.contains("机会很大")]
    assert row["speaker_id"].item() == "talk.lisa" and row["speaker_method"].item() == "override"
    assert set(u["speaker_method"]) == {"override", "inferred"}


@pytest.mark.parametrize("assign, problem", [
    ('assign:\n  - {lines: "1-3", speaker: wang_ming}\n  - {lines: "3-4", speaker: lisa}\n',
     "overlaps entry 1"),
    ('assign:\n  - {lines: "1-2", speaker: nobody}\n', "'nobody' is not a participant"),
    ('assign:\n  - {snippet: "不存在的话", speaker: lisa}\n', "matches 0 utterances"),
    ('assign:\n  - {lines: "5-99", speaker: lisa}\n', "lie outside"),
])
def test_bad_assignments_are_reported(make_seeds, assign, problem):
    root = _seeds_with(make_seeds, assign)
    with pytest.raises(TranscriptError) as caught:
        load_corpus(root)
    assert problem in str(caught.value) and "talk.yaml" in str(caught.value)


def test_unknown_attribution_speaker_in_metadata_is_reported(make_seeds):
    root = _seeds_with(make_seeds, attribution="asks: wang_minh")
    with pytest.raises(TranscriptError, match="attribution asks: 'wang_minh' is not a participant"):
        load_corpus(root)


def test_measured_accuracy_is_reported(corpus):
    result = evaluate_attribution(corpus, LABELS)
    print(f"\nattribution: coverage {result['coverage']:.3f}, accuracy {result['accuracy']:.3f}"
          f" (all lines: {result['accuracy_all']:.3f})")
    assert result["labelled"] >= 150
    # regression floors at the measured level; the target (0.85 at 0.60) is not met
    assert result["accuracy"] >= 0.80 and result["coverage"] >= 0.20
    assert result["accuracy_all"] >= 0.68


def test_clamped_lines_are_certain():
    speakers = [Participant(id="a", name="甲"), Participant(id="b", name="乙")]
    texts = ["大家好", "今天聊聊模型", "对", "我觉得开源会赢", "为什么呢？"]
    posterior, best = infer(texts, speakers, {}, load_cues(), clamp={1: 1, 3: 0})
    assert posterior[1, 1] > 0.999 and posterior[3, 0] > 0.999
    assert best[1] == 1 and best[3] == 0


# two speakers with personal wording: 甲 says 咱们/说白了 about chips, 乙 says 我们基金/回报
A_LINES = ["咱们说白了芯片就是卡脖子", "说白了咱们的芯片还要再等等", "咱们说白了还是要看芯片",
           "说白了咱们芯片的路很长", "咱们芯片说白了就是制程"]
B_LINES = ["我们基金更看重回报周期", "我们基金投的项目回报不错", "回报这件事我们基金很谨慎",
           "我们基金最近看了很多回报", "从回报看我们基金会等"]


def _alternating(n: int = 5) -> tuple[list[str], list[int]]:
    texts, truth = [], []
    for i in range(n):
        texts += [A_LINES[i], A_LINES[(i + 2) % 5], B_LINES[i], B_LINES[(i + 3) % 5]]
        truth += [0, 0, 1, 1]
    return texts, truth


def test_wording_is_learnt_from_the_analysts_labels():
    from analysis.speakers.attribution import Attributor

    speakers = [Participant(id="a", name="甲"), Participant(id="b", name="乙")]
    texts, truth = _alternating()
    model = Attributor(texts, speakers, {}, load_cues())
    before = model.fit({})
    assert np.allclose(before, 0.5)  # no cue tells them apart
    one_each = model.fit({0: 0, 2: 1})  # under min_labels: only the clamps and turn structure
    clamp = {i: truth[i] for i in range(0, len(texts), 2)}  # scattered single lines
    after = model.fit(clamp)
    rest = np.arange(1, len(texts), 2)
    right = np.array(truth)[rest]
    assert (after.argmax(axis=1)[rest] == right).mean() >= 0.8
    assert after[rest, right].mean() > one_each[rest, right].mean() + 0.1


def test_wording_needs_labels_from_more_than_one_passage():
    """Labels of one stretch of consecutive lines cannot show that a speaker's wording
    carries over to other turns: the wording then counts for nothing."""
    from analysis.speakers.attribution import Attributor

    speakers = [Participant(id="a", name="甲"), Participant(id="b", name="乙")]
    texts, truth = _alternating()
    model = Attributor(texts, speakers, {}, load_cues())
    assert not model._wording({i: truth[i] for i in range(8)}).any()
    assert model._wording({i: truth[i] for i in range(0, 16, 2)}).any()


def test_suggestions_skip_labelled_and_skipped_lines():
    from analysis.speakers.attribution import Attributor

    speakers = [Participant(id="a", name="甲"), Participant(id="b", name="乙")]
    texts, _ = _alternating(3)
    model = Attributor(texts, speakers, {}, load_cues())
    clamp = {0: 0}
    line = model.suggest(model.fit(clamp), clamp, skip={5})
    assert line is not None and line not in (0, 5)
    everything = {i: 0 for i in range(len(texts))}
    assert model.suggest(model.fit(everything), everything) is None


def _answers(*given: str):
    it = iter(given)
    return lambda prompt: next(it)


def test_label_loop_saves_each_answer_and_refits(make_seeds):
    from analysis.explorer.label import run

    root = _seeds_with(make_seeds)
    prompts: list[str] = []
    answers = iter(["7", "1", "s", "2", "q"])
    labelled = run(root, "talk", ask=lambda p: prompts.append(p) or next(answers),
                   say=lambda _: None)
    assert labelled == 2
    assert prompts[1].startswith("please answer 1-2")  # "7" is no speaker: asked again
    path = root / "attribution" / "talk.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Analyst speaker assignments for talk") and "label loop" in text
    u = load_corpus(root).utterances
    overrides = u[u["speaker_method"] == "override"]
    assert len(overrides) == 2 and set(overrides["speaker_id"]) == {"talk.wang_ming", "talk.lisa"}
    # a second session starts from the saved labels and never asks about them again
    asked: list[str] = []
    run(root, "talk", ask=lambda prompt: asked.append(prompt) or "q", say=lambda _: None)
    lines = {str(n) for n in overrides["line_start"]}
    assert not any(f"line {n}?" in asked[0] for n in lines)


def test_label_loop_keeps_comments_and_refuses_a_file_it_cannot_append_to(make_seeds):
    from analysis.explorer.label import run

    root = _seeds_with(make_seeds, """\
        # my notes
        assign:
          - {lines: "1", speaker: wang_ming}   # the host opens
        """)
    run(root, "talk", ask=_answers("2", "q"), say=lambda _: None)
    text = (root / "attribution" / "talk.yaml").read_text(encoding="utf-8")
    assert "# my notes" in text and "# the host opens" in text and text.count("speaker:") == 2
    (root / "attribution" / "talk.yaml").write_text(
        'assign:\n  - {lines: "1", speaker: wang_ming}\nnotes: later keys\n', encoding="utf-8")
    with pytest.raises(TranscriptError, match="not the file's last block"):
        run(root, "talk", ask=_answers("2", "q"), say=lambda _: None)
    assert "notes: later keys" in (root / "attribution" / "talk.yaml").read_text(encoding="utf-8")


def test_learning_curves_of_an_unlabelled_and_a_stripped_transcript(tmp_path):
    """The curve command's table: the example's podcast against lines labelled by reading,
    and a labelled transcript of the new-transcripts project with its labels stripped."""
    from analysis.validation.speakers import curves, stripped
    from conftest import SEEDS

    model, truth = stripped(FIXTURE, "auto_driving_podcast", asks="主持人")
    assert len(truth) > 100 and set(truth) == {0, 1} and model.roles["asks"]
    assert not any("主持人" in t[:4] for t in model.texts)  # labels are gone
    spec = tmp_path / "curves.yaml"
    spec.write_text(textwrap.dedent(f"""\
        curves:
          - {{project: {SEEDS}, event: indigo_talk, labels: {LABELS}}}
          - {{project: {FIXTURE}, event: auto_driving_podcast, strip: true, asks: 主持人}}
        """), encoding="utf-8")
    table = curves(spec, ks=(0, 5), seeds=2)
    assert list(table.columns) == ["transcript", "lines", "strategy", "k", "accuracy",
                                   "coverage", "accuracy_all", "ece"]
    assert table["transcript"].nunique() == 2 and len(table) == 8
    start = table[table["k"] == 0]
    assert start.groupby("transcript")["accuracy_all"].nunique().eq(1).all()  # same run
    assert table["coverage"].between(0, 1).all() and table["ece"].between(0, 1).all()


def test_whole_speaker_sequences_are_drawn_from_the_posterior():
    """Forward filtering, backward sampling: over many draws each line's speaker comes up
    as often as its posterior says, clamped lines never move, and a line is far likelier
    to share its neighbour's speaker than independent draws would make it."""
    from analysis.speakers.attribution import Attributor, sample_speakers

    speakers = [Participant(id="a", name="甲"), Participant(id="b", name="乙")]
    texts, _ = _alternating()
    model = Attributor(texts, speakers, {}, load_cues())
    posterior = model.fit({0: 0, 2: 1})
    paths = sample_speakers(model, 4000, np.random.default_rng(7))
    assert paths.shape == (len(texts), 4000)
    frequency = np.stack([(paths == k).mean(axis=1) for k in range(2)], axis=1)
    assert np.abs(frequency - posterior).max() < 0.05
    assert (paths[0] == 0).all() and (paths[2] == 1).all()
    same = (paths[4] == paths[5]).mean()
    independent = (posterior[4] * posterior[5]).sum()
    assert same > independent + 0.05 or same > 0.95
