"""The pupils a forecast hands to the layout: per village and grade, year by year.

:class:`Forecast` is made by :func:`planning.forecast.forecast` and read by
:meth:`planning.Project.in_year`; it lives in a module of its own so that the project (which
reads it) does not depend on the forecasting engine (which reads projects).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

GRADE_COLUMNS = [f"grade_{g}" for g in range(1, 10)]


@dataclass(frozen=True, eq=False)
class Forecast:
    """Pupils per village and grade, year by year.

    Attributes
    ----------
    pupils
        Indexed by (``year``, ``village_id``), columns ``grade_1`` … ``grade_9`` (pupils,
        fractional: a forecast is an expectation). The first year is the base year (the
        project's pupils today); the others follow it.
    ratios
        The ratios the forecast applied (progression ratio per grade, entry ratio of grade 1).
    assumptions
        Each assumption (setting, value, source) in words a planner can check.
    backtest
        Mean absolute percentage error by horizon when the history allowed a backtest, else None.
    variant
        "low", "medium" or "high".
    """

    pupils: pd.DataFrame
    ratios: pd.DataFrame = field(default_factory=pd.DataFrame)
    assumptions: pd.DataFrame = field(default_factory=pd.DataFrame)
    backtest: pd.DataFrame | None = None
    variant: str = "medium"

    @property
    def years(self) -> list[int]:
        """The years forecast, the base year first."""
        return sorted({int(y) for y in self.pupils.index.get_level_values("year")})

    @property
    def base_year(self) -> int:
        """The first year (today's pupils)."""
        return self.years[0]

    def of_year(self, year: int) -> pd.DataFrame:
        """Pupils per village (rows) and grade (``grade_1`` … ``grade_9``) in ``year``."""
        if year not in self.years:
            raise KeyError(f"`year` was {year} but the forecast covers {self.years[0]}–{self.years[-1]}")
        table = self.pupils.xs(year, level="year")
        assert isinstance(table, pd.DataFrame)  # a level of the index: a table
        return table[GRADE_COLUMNS]


__all__ = ["Forecast", "GRADE_COLUMNS"]
