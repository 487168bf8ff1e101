"""Build test data through the real services, as the local operator would."""

from __future__ import annotations

import itertools
from typing import Any

import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient

from attunely.accounts import service as accounts
from attunely.accounts.models import Team, User
from attunely.accounts.schemas import TeamCreate, UserCreate
from attunely.auth import totp
from attunely.cases import service as cases
from attunely.cases.models import Case
from attunely.cases.schemas import CaseCreate, PersonCreate
from attunely.db import unit_of_work
from attunely.policy import Role, local_operator

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


class World:
    """A factory of teams, users and cases in one app's database."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.operator = local_operator("test-operator")
        self.totp_secrets: dict[str, str] = {}

    def _uow(self) -> Any:
        return unit_of_work(self.app.state.session_factory)

    def team(self, name: str | None = None) -> Team:
        with self._uow() as db:
            return accounts.create_team(
                db,
                actor=self.operator,
                data=TeamCreate(name=name or f"Team {next(_counter)}"),
                organisation_name="Test Organisation",
            )

    def user(
        self,
        *roles: Role,
        team: Team | None = None,
        manages: bool = False,
        username: str | None = None,
        mfa: bool | None = None,
    ) -> User:
        roles = roles or (Role.GUIDER,)
        username = username or f"user{next(_counter)}"
        with self._uow() as db:
            user = accounts.create_user(
                db,
                actor=self.operator,
                organisation_name="Test Organisation",
                data=UserCreate(
                    username=username,
                    display_name=username.title(),
                    password=PASSWORD,
                    roles=list(roles),
                    teams=[team.id] if team else [],
                    manages_teams=manages,
                ),
            )
            if mfa or (mfa is None and set(roles) & {Role.ADMIN, Role.DPO}):
                secret = totp.new_secret()
                user.totp_secret_enc = totp.seal(secret, self.app.state.master_key, user.id)
                user.totp_enabled = True
                self.totp_secrets[user.id] = secret
            return user

    def case(
        self,
        team: Team,
        *,
        guider: User | None = None,
        supervisor: User | None = None,
        reference: str | None = None,
        programme: str = "vig",
    ) -> Case:
        with self._uow() as db:
            return cases.create_case(
                db,
                actor=self.operator,
                data=CaseCreate.model_validate(
                    {
                        "reference": reference or f"REF-{next(_counter):04d}",
                        "programme": programme,
                        "team_id": team.id,
                        "guider_id": guider.id if guider else None,
                        "supervisor_id": supervisor.id if supervisor else None,
                    }
                ),
            )

    def person(self, case: Case, **fields: Any) -> str:
        with self._uow() as db:
            person = cases.add_person(
                db, actor=self.operator, case_id=case.id, data=PersonCreate.model_validate(fields)
            )
            return person.id

    def consent(
        self,
        case: Case | str,
        person_id: str,
        purposes: tuple[str, ...] = ("filming_feedback", "supervision"),
        **fields: Any,
    ) -> list[str]:
        """Record a caregiver's consent for `purposes` as the local operator; return record ids."""
        from datetime import date

        from attunely.consent import service as consent
        from attunely.consent.schemas import ConsentCreate

        data = {
            "person_id": person_id,
            "purposes": list(purposes),
            "basis": "consent",
            "text_version": "test-1",
            "retention_months": 24,
            "access": "the family's guider and the guider's supervisor",
            "method": "paper",
            "given_by": "Parent",
            "given_on": date.today().isoformat(),
            **fields,
        }
        case_id = case if isinstance(case, str) else case.id
        with self._uow() as db:
            made = consent.record_consent(
                db, actor=self.operator, case_id=case_id, data=ConsentCreate.model_validate(data)
            )
            return [r.id for r in made]

    def code_for(self, user: User) -> str:
        return pyotp.TOTP(self.totp_secrets[user.id]).now()

    def client_for(self, user: User, password: str = PASSWORD) -> TestClient:
        """Return a client signed in as the user (second factor passed if enrolled)."""
        client = TestClient(self.app, base_url="https://testserver")
        token = client.get("/api/csrf").json()["csrf_token"]
        client.headers["X-CSRF-Token"] = token
        response = client.post(
            "/api/session", json={"username": user.username, "password": password}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        client.headers["X-CSRF-Token"] = body["csrf_token"]
        if body["mfa_step"] == "verify":
            response = client.post("/api/session/mfa", json={"code": self.code_for(user)})
            assert response.status_code == 200, response.text
            body = response.json()
        client.headers["X-CSRF-Token"] = body["csrf_token"]
        return client
