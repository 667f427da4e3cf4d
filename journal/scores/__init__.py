"""Clinical scores of PPJ: GCS, NEWS2, TOKS and PASS, derived from plain typed inputs.

Scores are derived, never stored as truth. Each is computed from a versioned table with a cited source,
shipped as a JSON file in ``journal/scores/tables/`` and validated at import. A journal records the table
versions in force when it is opened (``CURRENT_TABLE_VERSIONS``) and passes its recorded version to every
scoring call, so a new table never silently changes a closed journal.

Public API::

    score_gcs(*, table_version, eye, verbal, motor) -> GcsResult
    score_news2(*, table_version, respiration_rate, spo2, inspired_oxygen, systolic_bp, pulse,
                consciousness, temperature_c, age_years, pregnant, spo2_scale=Spo2Scale.SCALE_1)
                -> News2Result
    score_toks(*, table_version, respiration_rate, spo2, systolic_bp, pulse, gcs_total, temperature_c,
               age_years=None)
               -> ToksResult
    score_pass(*, table_version, loc_questions_abnormal, gaze_abnormal, arm_weakness) -> PassResult
    table(score, version) -> ScoreTable          TABLES, TABLE_FINGERPRINTS, CURRENT_TABLE_VERSIONS

Modules: ``errors`` (the exception tree), ``vocabulary`` (enums), ``numeric_bands`` and
``table_schema`` (the table file format), ``lookups`` (what a table compiles to for fast scoring),
``registry`` (loading and lookup), ``results`` (shared result parts), and one module per score.
"""

from journal.scores.errors import (
    MalformedTableError,
    ScoreError,
    ScoreInputError,
    ScoreTableError,
    UnknownTableVersionError,
)
from journal.scores.gcs import GcsEye, GcsMotor, GcsResult, GcsVerbal, score_gcs
from journal.scores.news2 import News2Result, news2_text, score_news2
from journal.scores.registry import (
    CURRENT_TABLE_VERSIONS,
    TABLE_FINGERPRINTS,
    TABLES,
    parse_table,
    table,
    versions_of,
)
from journal.scores.results import ParameterPoints
from journal.scores.stroke_pass import PassResult, score_pass
from journal.scores.table_schema import GcsTable, News2Table, PassTable, ScoreTable, TableRef, ToksTable
from journal.scores.toks import ToksResult, score_toks
from journal.scores.vocabulary import (
    Acvpu,
    GcsEyeQualifier,
    GcsMotorQualifier,
    GcsVerbalQualifier,
    InspiredOxygen,
    News2Parameter,
    News2Risk,
    PassItem,
    ScoreName,
    ScoreStatus,
    Spo2Scale,
    ToksParameter,
    UiColour,
)

__all__ = [
    "CURRENT_TABLE_VERSIONS",
    "TABLES",
    "TABLE_FINGERPRINTS",
    "Acvpu",
    "GcsEye",
    "GcsEyeQualifier",
    "GcsMotor",
    "GcsMotorQualifier",
    "GcsResult",
    "GcsTable",
    "GcsVerbal",
    "GcsVerbalQualifier",
    "InspiredOxygen",
    "MalformedTableError",
    "News2Parameter",
    "News2Result",
    "News2Risk",
    "News2Table",
    "ParameterPoints",
    "PassItem",
    "PassResult",
    "PassTable",
    "ScoreError",
    "ScoreInputError",
    "ScoreName",
    "ScoreStatus",
    "ScoreTable",
    "ScoreTableError",
    "Spo2Scale",
    "TableRef",
    "ToksParameter",
    "ToksResult",
    "ToksTable",
    "UiColour",
    "UnknownTableVersionError",
    "parse_table",
    "score_gcs",
    "news2_text",
    "score_news2",
    "score_pass",
    "score_toks",
    "table",
    "versions_of",
]
