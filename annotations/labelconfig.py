"""The Label Studio labelling config, generated from configs/ so it always matches the tagger's labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from govreport.configs import load


def label_config() -> str:
    """XML config: span labels (one per tagger label, with its colour and description) over the report text.

    Task data holds ``doc`` (the report id), ``text`` and the selection score ``al_score``; the header
    shows the first two so an annotator knows which report and why it was picked.
    """
    names = load("annotate")["labelling"]
    colors = load("model")["display"]["colors"]
    view = ET.Element("View")
    ET.SubElement(view, "Header", value="$doc")
    labels = ET.SubElement(view, "Labels", name=names["labels_name"], toName=names["text_name"])
    for entry in load("labels")["labels"]:
        attrs = {"value": entry["name"], "hint": entry["says"]}
        if entry["name"] in colors:
            attrs["background"] = colors[entry["name"]]
        ET.SubElement(labels, "Label", attrs)
    ET.SubElement(
        view,
        "Text",
        name=names["text_name"],
        value=f"${names['text_name']}",
        granularity=names["granularity"],
    )
    ET.indent(view)
    return ET.tostring(view, encoding="unicode")
