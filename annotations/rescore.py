"""Re-rank a project's not-yet-annotated tasks with the current (fine-tuned) model.

After a fine-tune the model doubts other reports than before: this refreshes each unlabelled task's
selection score in its data (``al_*``, the columns annotators sort on) and adds the new model's
prediction, so the next annotations go where the new model needs them.
"""

from __future__ import annotations

from collections.abc import Callable

from govreport.annotations.client import project_id
from govreport.annotations.results import prediction
from govreport.annotations.selection import analyse, rank
from govreport.inference.taggers.base import Tagger
from label_studio_sdk import LabelStudio


def rescore(
    client: LabelStudio,
    project: str,
    tagger: Tagger,
    model_version: str,
    on_report: Callable[[], None] | None = None,
) -> int:
    """Update every unannotated task of ``project``; returns how many were rescored."""
    pid = project_id(client, project)
    tasks = {t.data["doc"]: t for t in client.tasks.list(project=pid) if not t.total_annotations and t.data}
    analyses = {a.doc: a for a in analyse([(d, t.data["text"]) for d, t in tasks.items()], tagger, on_report)}
    for r in rank(list(analyses.values())):
        task, a = tasks[r.doc], analyses[r.doc]
        client.tasks.update(str(task.id), data=task.data | r.task_data())
        client.predictions.create(task=task.id, **prediction(a.text, a.spans, model_version))
    return len(analyses)
