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
    garbled: list[GarbledOut]
    warnings: list[str]
    review: ReviewOut | None = Field(default=None, description="whether to check this report by hand, and why")


def json_schema() -> dict:
    return Extraction.model_json_schema()
