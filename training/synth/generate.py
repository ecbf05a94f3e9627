"""One synthetic report from (seed, index): content, tables, layout, noise, then text, labels and gold."""

from __future__ import annotations

import random
from dataclasses import dataclass

from govreport.configs import load
from govreport.inference.spans import Span, spans_to_bio
from govreport.training.synth import figures, narrative, noise, tables, web
from govreport.training.synth.gold import build_gold
from govreport.training.synth.layouts import LAYOUTS, available
from govreport.training.synth.model import Block, SynthDoc, Table, join
from govreport.training.synth.names import sample_body, title_for


@dataclass
class Rendered:
    """A generated report: its text, labelled spans, character BIO tags and gold."""

    id: str
    text: str
    spans: list[Span]
    tags: list[str]
    gold: dict
    layout: str
    noise: list[str]
    doc: SynthDoc


def _weighted(rng: random.Random, weights: dict) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def doc_id(seed: int, index: int) -> str:
    return f"synth_{seed}_{index:06d}"


def compose(rng: random.Random, seed: int, index: int) -> tuple[SynthDoc, bool]:
    """The report's content as blocks and tables (before layout and noise)."""
    cfg = load("synth")
    content = cfg["content"]
    year = int(_weighted(rng, cfg["years"]))
    fmt = "2019" if year <= 2020 else "2021"
    body = sample_body(rng)
    single_other = fmt == "2021" and rng.random() < content["single_other_row"]
    old_t2 = fmt == "2021" and rng.random() < content["old_t2"]
    rows = figures.t3_rows(fmt, single_other)
    truth = figures.sample_t2(rng, "2019" if old_t2 else fmt, body.size, body.makes_rules)
    if not body.makes_rules and rng.random() < content["slash_blank"]:
        truth |= {k: None for k in truth if k.startswith("t2.regulations.")}
    truth |= figures.sample_t3(rng, fmt, body.size, single_other) | figures.sample_t4(rng, body.size)
    doc = SynthDoc(doc_id(seed, index), year, fmt, body.name, body.short, truth=truth, printed=dict(truth))
    if rng.random() < content["inconsistency"]:
        what = figures.add_inconsistency(rng, fmt, doc.printed, rows)
        if what:
            doc.notes.append("inconsistency: " + what)
    t4_figures = rng.random() >= content["t4_empty"]
    doc.tables_printed = {"t3"} | ({"t4"} if t4_figures else set()) | (set() if old_t2 else {"t2"})
    if old_t2:
        doc.notes.append("prints the 2019 table 2")
    n_new = truth["t3.new.total"]
    slots = narrative.slots_for(rng, body, year, n_new, truth["t3.carried_over.total"])
    title = title_for(rng, body, year)
    wrng = random.Random(f"{seed}:{index}:web")  # its own stream: reports that are no web copy stay as they were
    on_web = wrng.random() < cfg["web"]["page"]
    blocks: list[Block | Table] = narrative.head_blocks(rng, title, slots, rng.random() < content["chrome"])
    heads = {sid: narrative.section_heading(rng, sid) for sid in range(1, 7)}
    if on_web:  # a web-page copy: chrome above the title, the title and headings as portals print them
        at = next(i for i, b in enumerate(blocks) if isinstance(b, Block) and b.kind == "title")
        blocks[at : at + 1] = web.page_chrome(wrng, title, slots) + web.title_blocks(wrng, title, body.name, year)
        heads = {sid: web.heading(wrng, sid, h) for sid, h in heads.items()}
    blocks.append(narrative.sec_block(1, heads[1]))
    if rng.random() < content["duplicated_heading"]:
        blocks.append(narrative.sec_block(1, heads[1]))
        blocks[-2].pieces[0].key = None
    blocks += narrative.section1_blocks(rng, slots)
    t2 = tables.t2_table(rng, "2019" if old_t2 else fmt, doc.printed)
    if on_web and wrng.random() < cfg["web"]["long_labels"]:
        web.long_labels(wrng, t2, year)
    if on_web and wrng.random() < cfg["web"]["figure_forms"]:
        web.figure_forms(wrng, t2)
    blocks += [narrative.sec_block(2, heads[2]), t2]
    blocks += [narrative.sec_block(3, heads[3]), tables.t3_table(rng, fmt, rows, doc.printed)]
    blocks += [narrative.sec_block(4, heads[4]), tables.t4_table(rng, doc.printed, t4_figures)]
    blocks += [narrative.sec_block(5, heads[5]), *narrative.section5_blocks(rng, slots)]
    blocks += [narrative.sec_block(6, heads[6]), *narrative.section6_blocks(rng, slots)]
    if rng.random() < content["chrome"]:
        blocks += narrative.tail_blocks(rng, slots)
    doc.blocks = blocks
    return doc, single_other


def generate(seed: int, index: int, layouts: list[str] | None = None) -> Rendered:
    """Document ``index`` of the corpus with ``seed`` (deterministic), in one of ``layouts``."""
    rng = random.Random(f"{seed}:{index}")
    cfg = load("synth")
    doc, single_other = compose(rng, seed, index)
    weights = {k: w for k, w in cfg["layouts"].items() if k in available() and (not layouts or k in layouts)}
    if not weights:
        raise ValueError(f"no usable layout among {layouts}; available: {sorted(available())}")
    if not sum(weights.values()):  # only zero-weight layouts asked for: draw them uniformly
        weights = dict.fromkeys(weights, 1.0)
    doc.layout = _weighted(rng, weights)
    doc.noise = [k for k, rate in cfg["noise"].items() if rng.random() < rate]
    for name in doc.noise:
        if name in noise.TABLE_LEVEL:
            noise.TABLE_LEVEL[name](rng, doc)
    doc.pieces = LAYOUTS[doc.layout](rng, doc)
    for name in doc.noise:
        if name in noise.TEXT_LEVEL:
            noise.TEXT_LEVEL[name](rng, doc)
    wrng = random.Random(f"{seed}:{index}:web-text")
    for name, change in (("lost_breaks", web.lost_breaks), ("cut_anywhere", web.cut_anywhere)):
        if wrng.random() < cfg["web"][name]:
            change(wrng, doc)
            doc.noise.append(name)
    text, spans = join(doc.pieces)
    return Rendered(doc.id, text, spans, spans_to_bio(len(text), spans), build_gold(doc, single_other),
                    doc.layout, doc.noise, doc)
