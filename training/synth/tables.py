"""The three standard tables as a grid of labelled cells (layout-independent), from the templates.

Header arrangements follow the real reports: table 3's 申请人情况 / 自然人 / 法人或其他组织 header in
the three shapes the seeds show, table 4's 行政复议 / 行政诉讼 header in two.
"""

from __future__ import annotations

import random

from govreport.configs import load
from govreport.training.synth.figures import fmt_figure
from govreport.training.synth.model import Cell, Piece, Row, Table

NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def _c(text: str, label: str) -> Cell:
    return [Piece(text, label)] if text else []


def _fig(key: str, printed: dict, rng: random.Random) -> Cell:
    return [Piece(fmt_figure(printed[key], rng=rng), "NUM", key)]


def t2_table(rng: random.Random, fmt: str, printed: dict) -> Table:
    """Table 2: per caption a caption row, a header row (信息内容 + columns) and its data rows."""
    rows: list[Row] = []
    fee_label = rng.choice(["本年收费金额（单位：万元）", "本年收费金额（单位：万元）", "本年收费金额(单位:万元,保留4位小数)"])
    for group in load("templates")["formats"][fmt]["t2"]["groups"]:
        caption = group["caption"]
        if rng.random() < 0.15:
            caption = caption.replace("条第", "条 第")
        rows.append(Row("caption", [_c(caption, "CAPTION")]))
        cols = group["rows"][0]["cols"]
        head = [_c("信息内容", "COL")]
        for col in cols:
            text = fee_label if col["key"] == "amount" and fmt == "2021" else col["label"]
            head.append(_c(text, "COL"))
        rows.append(Row("header", head))
        for r in group["rows"]:
            keys = [f"t2.{r['key']}.{c['key']}" for c in r["cols"]]
            label = r["label"] if rng.random() < 0.9 else rng.choice(r["variants"])
            if label == "规章" and rng.random() < 0.1:
                label = "规    章"
            rows.append(Row("data", [_c(label, "ROW")] + [_fig(k, printed, rng) for k in keys], 1, keys))
    return Table("t2", rows)


def _t3_labels(fmt: str, rows: list[str]) -> list[tuple[str, str, str, str, str]]:
    """(top, sub, leaf, group key, sub key) per printed row; a group/sub label only on its first row."""
    t3 = load("templates")["formats"][fmt]["t3"]
    defs = {r["key"]: r for r in t3["rows"] + t3.get("optional_rows", [])}
    groups = {g["key"]: g["label"] for g in t3["groups"]}
    out = []
    seen: set[str] = set()
    for key in rows:
        label = defs[key]["label"]
        if label.startswith(groups["results"]):
            label = label[len(groups["results"]) :]
        group = "results" if rows.index("granted") <= rows.index(key) <= rows.index("total") else ""
        sub, leaf, sub_key = label, "", ""
        if " " in label:
            sub, leaf = label.split(" ", 1)
            sub_key = next(k for k, v in groups.items() if v == sub)
        top = ""
        if not group:
            top, sub = label, ""
        elif group not in seen:
            top = groups["results"]
        seen.add(group)
        if sub_key and sub_key in seen:
            sub = ""
        seen.add(sub_key)
        out.append((top, sub, leaf, group, sub_key))
    return out


def t3_table(rng: random.Random, fmt: str, rows: list[str], printed: dict) -> Table:
    cols = load("templates")["formats"][fmt]["t3"]["cols"]
    col_keys = [c["key"] for c in cols]
    slots = {"note": _c(NOTE, "NOTE"), "applicant": _c("申请人情况", "COL"), "legal_persons": _c("法人或其他组织", "COL")}
    slots |= {k: _c(c["label"], "COL") for k, c in zip(col_keys, cols, strict=True)}
    s = slots
    kinds = [s[k] for k in col_keys[1:6]]
    shape = rng.choice(["a", "b", "c"])
    if shape == "a":  # 001: applicant columns side by side under 申请人情况, note in the first label field
        head = [Row("header", [[], [], [], s["applicant"]]),
                Row("header", [s["note"], [], [], s["natural"], *kinds, s["total"]])]
    elif shape == "b":  # 003/004: 申请人情况 … 总计, then 自然人 法人或其他组织, then the five kinds
        head = [Row("header", [s["note"], [], s["applicant"], [], [], [], [], [], [], s["total"]]),
                Row("header", [[], [], s["natural"], s["legal_persons"]]),
                Row("header", [[], [], [], [], *kinds])]
    else:  # 000: note, 申请人情况, then 自然人 法人或其他组织 总计, then the five kinds
        head = [Row("header", [s["note"], s["applicant"]]),
                Row("header", [[], s["natural"], s["legal_persons"], s["total"]]),
                Row("header", [[], [], *kinds, []])]
    dot_space, paren_space = rng.random() < 0.15, rng.random() < 0.15  # 1. 属于…, (一) 予以公开 (seed 003)
    body = []
    for key, (top, sub, leaf, group, sub_key) in zip(rows, _t3_labels(fmt, rows), strict=True):
        leaf = leaf.replace(".", ". ", 1) if dot_space else leaf
        sub = sub.replace("）", "） ", 1) if paren_space and sub.startswith("（") else sub
        keys = [f"t3.{key}.{c}" for c in col_keys]
        cells = [_c(top, "ROW"), _c(sub, "ROW"), _c(leaf, "ROW")] + [_fig(k, printed, rng) for k in keys]
        body.append(Row("data", cells, 3, keys, group, sub_key))
    return Table("t3", head + body, slots)


def t4_table(rng: random.Random, printed: dict, with_figures: bool = True) -> Table:
    outcomes = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    groups = ("review", "suit_direct", "suit_after_review")
    slots = {"review_label": _c("行政复议", "COL"), "suit_label": _c("行政诉讼", "COL"),
             "suit_direct_label": _c("未经复议直接起诉", "COL"), "suit_after_review_label": _c("复议后起诉", "COL")}
    slots |= {f"{g}.{i}": _c(o, "COL") for g in groups for i, o in enumerate(outcomes)}
    s = slots
    if rng.random() < 0.1:  # header without the 总计 labels, figures still 15 (seed 002)
        for g in groups:
            s[f"{g}.4"] = []
    oc = [[s[f"{g}.{i}"] for i in range(5)] for g in groups]
    if rng.random() < 0.6:  # spanning cells kept as empty fields (tab copies of DOCX tables)
        head = [Row("header", [s["review_label"], [], [], [], [], s["suit_label"]]),
                Row("header", [*oc[0], s["suit_direct_label"], [], [], [], [], s["suit_after_review_label"]]),
                Row("header", [[], [], [], [], [], *oc[1], *oc[2]])]
    else:
        head = [Row("header", [s["review_label"], s["suit_label"]]),
                Row("header", [*oc[0], s["suit_direct_label"], s["suit_after_review_label"]]),
                Row("header", [*oc[1], *oc[2]])]
    keys = [f"t4.{g}.{c}" for g in groups for c in ("upheld", "corrected", "other", "pending", "total")]
    if not with_figures:
        return Table("t4", head, slots)
    return Table("t4", [*head, Row("data", [_fig(k, printed, rng) for k in keys], 0, keys)], slots)
