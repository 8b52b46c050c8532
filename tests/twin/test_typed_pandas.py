from datetime import date

import pandas as pd
import pytest

from twin.typed_pandas import as_day


def test_the_latest_day_of_a_column_of_dates_is_a_date():
    frame = pd.DataFrame({"day": [date(2026, 11, 1), date(2026, 11, 2)]})
    assert as_day(frame["day"].max()) == date(2026, 11, 2)


def test_a_value_that_is_not_a_day_is_refused():
    with pytest.raises(TypeError, match="expected a day"):
        as_day(pd.Series([1, 2]).max())
