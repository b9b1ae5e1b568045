"""The training pipeline's first step refuses a table it cannot learn from by
what is wrong with the table itself."""

import pandas as pd
import pytest

from workflows.domain import contract as data_contract
from workflows.domain.contract import Contract, Feature
from workflows.domain.data import DataLoadError
from workflows.steps.training import prepare


def test_a_header_only_table_is_refused_for_having_no_rows(tmp_path):
    """Found by a new user: `make run` on a header-only CSV blamed the target
    column ("each label needs at least 10 rows") and the row count, in two lines."""
    contract_path = tmp_path / "contract.yaml"
    contract = Contract("y", "yes", "no", (Feature("x", "numeric", False),))
    contract_path.write_text(data_contract.dump(contract, {}, "schema.json"), encoding="utf-8")
    table = tmp_path / "header.csv"
    pd.DataFrame({"x": [], "y": []}).to_csv(table, index=False)

    with pytest.raises(DataLoadError, match=r"header\.csv'?: the table has no rows$"):
        prepare(str(contract_path), str(table), 0.25, 0)
