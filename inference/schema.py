"""The output contract (../shared/spec/README.md) as pydantic models; ``govreport schema`` prints its JSON Schema."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Number = int | float


class SectionOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int = Field(ge=1, le=6)
    heading: str
    start: int
    end: int


class CellOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: Number | None
    status: Literal["observed", "inferred", "missing", "conflict"]
    span: tuple[int, int] | None = Field(
        description="offsets of the figure in the tagged text; null unless read"
    )
    confidence: float = Field(ge=0, le=1)


class ViolationOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: str
    lhs: Number
    rhs: Number
    cells: list[str]


class GarbledOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    span: tuple[int, int]
    text: str
    stands_for: str | None


class OperandOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="a cell key (a leading - subtracts it), or what the text states (stated)")
    value: Number | None = Field(description="null when the report does not give it")
    source: str | None = Field(default=None, description="the other report it comes from; null: this one")
    text: str | None = Field(default=None, description="the words that state it, for figures read from prose")


class TextEvidenceOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    span: tuple[int, int] = Field(description="offsets of the sentence (or heading) in the tagged text")
    text: str


class EvidenceOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cells: list[str] = Field(description="this report's cells the check read")
    text: list[TextEvidenceOut]


class FindingOut(BaseModel):
    """One check on one report (configs/checks.yaml): a reviewer's decision can be kept under its id."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="fingerprint: the same report, check and operands give the same id")
    check: str
    severity: Literal["error", "warning", "info"]
    result: Literal["pass", "fail", "uncertain"] = Field(
        description="uncertain: an operand is missing or the check cannot be assessed"
    )
    message: str
    operands: list[OperandOut]
    evidence: EvidenceOut


class ReviewOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    flag: bool = Field(description="a person should check this report by hand")
    score: float = Field(ge=0, description="how much the pipeline doubts its reading (higher: check first)")
    reasons: list[str] = Field(description="the signals behind the flag (configs/review.yaml)")


class Extraction(BaseModel):
    """One report's extraction."""

    model_config = ConfigDict(extra="forbid")
    source: str
    format: Literal["2021", "2019"] | None
    title: str | None
    year: int | None
    sections: list[SectionOut]
    cells: dict[str, CellOut]
    violations: list[ViolationOut]
    findings: list[FindingOut] = Field(
        default_factory=list, description="every check an auditor makes, passed or not (configs/checks.yaml)"
    )
    garbled: list[GarbledOut]
    warnings: list[str]
    review: ReviewOut | None = Field(default=None, description="whether to check this report by hand, and why")


def json_schema() -> dict:
    return Extraction.model_json_schema()
