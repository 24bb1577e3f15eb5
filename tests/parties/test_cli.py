"""``spkms parties``: the same services from the command line."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from plugins.parties import services
from plugins.parties.cli import parties_group
from plugins.parties.models import Party
from portal.extensions import db
from tests.parties.conftest import party_fields


def test_find_search_and_reindex(app: Flask) -> None:
    with app.app_context():
        fields = party_fields("Syed Hamid bin Syed Abdullah")
        party = services.create_party(**fields)
        db.session.commit()
        party_id = party.id
        # A key written under older rules, as after a rules change.
        db.session.execute(
            sa.update(Party).where(Party.id == party_id).values(name_key="stale")
        )
        db.session.commit()
    runner = app.test_cli_runner()
    found = runner.invoke(parties_group, ["find", fields["identity_number"]])
    assert found.exit_code == 0, found.output
    assert found.output.startswith(f"{party_id}\t{fields['identity_number']}\t")
    bad = runner.invoke(parties_group, ["find", "900115-17-5123"])
    assert bad.exit_code != 0
    assert "17 is not a known place-of-birth code" in bad.output
    reindexed = runner.invoke(parties_group, ["reindex"])
    assert reindexed.exit_code == 0, reindexed.output
    assert "search keys rewritten: " in reindexed.output
    assert int(reindexed.output.rsplit(" ", 1)[1]) >= 1
    listed = runner.invoke(
        parties_group, ["search", "Syed", "Hamid", "Syed", "Abdullah"]
    )
    assert f"1.00\t{party_id}\t" in listed.output
    with app.app_context():
        assert db.session.get(Party, party_id).name_key == "syed hamid syed abdullah"
