"""Checks of azure.yaml and the Bicep templates under infra/ that need neither Azure nor a Bicep compiler.

The Bicep CLI is a .NET binary that no PyPI or npm package ships (the wrappers download it from GitHub),
so these tests parse the templates with the tree-sitter Bicep grammar instead: syntax, symbols, module
wiring, and the app settings checked against the app's own settings model (shared/config.py).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import secrets
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
MAIN = INFRA / "main.bicep"
GRANT_MODULE = "infra.scripts.grant_sql_access"
PLACEHOLDER = "x1"  # stands for a value only known at deployment (a resource name, an endpoint)
DECLARATIONS = ("parameter_declaration", "variable_declaration", "resource_declaration", "module_declaration")

# App settings read by a library's runtime rather than by shared/config.py.
RUNTIME_VARIABLES = {"OMP_WAIT_POLICY"}

# Built-in role definition ids (identical in every tenant) -> (role, resource type it must be scoped to).
APP_ROLES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": ("Storage Blob Data Owner", "Microsoft.Storage/storageAccounts"),
    "a638d3c7-ab3a-418d-83e6-5f17a39d4fde": (
        "Azure Event Hubs Data Receiver",
        "Microsoft.EventHub/namespaces",
    ),
    "2b629674-e913-4c01-ae53-ef4638d8f975": ("Azure Event Hubs Data Sender", "Microsoft.EventHub/namespaces"),
    "3913510d-42f4-4e42-8a64-420c390055eb": ("Monitoring Metrics Publisher", "Microsoft.Insights/components"),
    "4633458b-17de-408a-b874-0445c86b69e6": ("Key Vault Secrets User", "Microsoft.KeyVault/vaults"),
}
# Settings that Flex Consumption derives from functionAppConfig and rejects as app settings.
FLEX_REJECTED_SETTINGS = {
    "FUNCTIONS_EXTENSION_VERSION",
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_WORKER_RUNTIME_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "ENABLE_ORYX_BUILD",
}


def _require(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        message = f"{module} is not installed (requirements-dev.txt): {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


# --- a small reader of Bicep syntax trees -----------------------------------------------------------


class Expr(str):
    """Source text of a Bicep expression (a reference, a call...) that the tests do not evaluate."""


@dataclass(frozen=True)
class Template:
    """An interpolated string: literal parts and `${...}` expressions."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True)
class Decl:
    kind: str  # parameter / variable / resource / module / output
    name: str
    node: Any
    decorators: dict[str, Any]

    @property
    def target(self) -> str:
        """Resource `type@apiVersion`, or a module's path."""
        return _value(self.node.named_children[1])

    @property
    def has_value(self) -> bool:
        """False for a parameter without a default."""
        return "=" in [child.type for child in self.node.children]

    @property
    def value(self) -> Any:
        """Default (params), value (vars, outputs) or body object (resources, modules), as Python data."""
        if not self.has_value:
            return None
        children = self.node.children
        return _value(_body(children[[child.type for child in children].index("=") + 1]))


_ESCAPES = {"\\'": "'", "\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\t": "\t", "\\$": "$"}


def _text(node) -> str:
    return node.text.decode()


def _body(node):
    """The object a resource or module declares, through `if (...)` and `[for ...]` wrappers."""
    if node.type == "if_statement":
        return _body(node.named_children[-1])
    if node.type == "for_statement":
        return _body(node.child_by_field_name("body"))
    return node


def _value(node) -> Any:
    kind = node.type
    if kind == "object":
        return {
            _key(prop.named_children[0]): _value(prop.named_children[-1])
            for prop in node.named_children
            if prop.type == "object_property"
        }
    if kind == "array":
        return [_value(child) for child in node.named_children]
    if kind == "string":
        parts: list[str | Expr] = []
        literal = ""
        for child in node.named_children:
            if child.type == "interpolation":
                parts += [literal, Expr(_text(child.named_children[0]))]
                literal = ""
            else:
                literal += _ESCAPES.get(_text(child), _text(child))
        if not parts:
            return literal
        return Template(tuple(part for part in [*parts, literal] if part))
    if kind == "number":
        return int(_text(node))
    if kind == "boolean":
        return _text(node) == "true"
    if kind == "null":
        return None
    return Expr(_text(node))


def _key(node) -> str:
    return _value(node) if node.type == "string" else _text(node)


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


@dataclass(frozen=True)
class BicepFile:
    path: Path
    root: Any

    def declarations(self, kind: str) -> dict[str, Decl]:
        found: dict[str, Decl] = {}
        decorators: dict[str, Any] = {}
        for node in self.root.named_children:
            if node.type == "decorators":
                decorators = {
                    _text(d.named_children[0].named_children[0]): [
                        _value(arg) for arg in d.named_children[0].named_children[1].named_children
                    ]
                    for d in node.named_children
                }
                continue
            if node.type == f"{kind}_declaration":
                name = _text(node.named_children[0])
                found[name] = Decl(kind, name, node, decorators)
            decorators = {}
        return found

    @property
    def params(self) -> dict[str, Decl]:
        return self.declarations("parameter")

    @property
    def variables(self) -> dict[str, Any]:
        return {name: decl.value for name, decl in self.declarations("variable").items()}

    @property
    def resources(self) -> list[Decl]:
        return list(self.declarations("resource").values())

    @property
    def modules(self) -> dict[str, Decl]:
        return self.declarations("module")

    @property
    def outputs(self) -> dict[str, Decl]:
        return self.declarations("output")

    def references(self, node=None) -> set[str]:
        """Identifiers used as references (not declared names, object keys or function names)."""
        used = set()
        for ident in _walk(node or self.root):
            parent = ident.parent
            if ident.type != "identifier" or (
                (parent.type.endswith("_declaration") and ident == parent.named_children[0])
                or (parent.type == "object_property" and ident == parent.named_children[0])
                or (parent.type == "call_expression" and ident == parent.child_by_field_name("function"))
                or (parent.type == "for_statement" and ident == parent.child_by_field_name("initializer"))
            ):
                continue
            used.add(_text(ident))
        return used

    def symbols(self) -> dict[str, Any]:
        """What a name in this file evaluates to, as far as the tests can know without deploying."""
        values: dict[str, Any] = {name: decl.value for name, decl in self.params.items() if decl.has_value}
        values.update(self.variables)
        return values


def bicep_parser():
    ts = _require("tree_sitter")
    grammar = _require("tree_sitter_bicep")
    return ts.Parser(ts.Language(grammar.language()))


@cache
def _parsed(path: Path) -> BicepFile:
    return BicepFile(path, bicep_parser().parse(path.read_bytes()).root_node)


def load(path: Path) -> BicepFile:
    return _parsed(path.resolve())


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


def module_file(owner: BicepFile, module: Decl) -> BicepFile:
    return load(owner.path.parent / module.target)


def resolve(value: Any, symbols: dict[str, Any]) -> Any:
    """Evaluate names and interpolations; what only deployment knows becomes PLACEHOLDER."""
    if isinstance(value, Template):
        return "".join(str(resolve(part, symbols)) for part in value.parts)
    if isinstance(value, Expr):
        return resolve(symbols[value], symbols) if value in symbols else PLACEHOLDER
    if isinstance(value, dict):
        return {key: resolve(item, symbols) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, symbols) for item in value]
    return value


def resources_of(file: BicepFile, resource_type: str) -> list[Decl]:
    return [r for r in file.resources if r.target.split("@")[0] == resource_type]


def only(items: list[Decl]) -> Decl:
    assert len(items) == 1, [item.name for item in items]
    return items[0]


def main_file() -> BicepFile:
    return load(MAIN)


def module_call(name: str) -> tuple[Decl, BicepFile]:
    main = main_file()
    call = main.modules[name]
    return call, module_file(main, call)


def passed_param(module_name: str, param: str) -> Any:
    """The value main.bicep gives a module parameter, else that parameter's default, evaluated."""
    call, module = module_call(module_name)
    passed = call.value.get("params", {})
    if param in passed:
        return resolve(passed[param], main_file().symbols())
    return resolve(module.params[param].value, module.symbols())


# --- syntax and wiring ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_bicep_file_has_no_syntax_errors(path):
    root = load(path).root
    errors = [
        f"{node.start_point.row + 1}:{node.start_point.column + 1} {_text(node)[:60]!r}"
        for node in _walk(root)
        if node.type == "ERROR" or node.is_missing
    ]
    assert root.named_children and not errors, errors


def test_the_grammar_rejects_broken_bicep():
    """The syntax check above can fail: a missing colon and a missing brace are both reported."""
    root = bicep_parser().parse(b"var a = {\n  b 'c'\n}\nresource r 'A/b@2024-01-01' = {\n").root_node
    assert root.has_error


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_every_name_is_declared_and_every_parameter_and_variable_is_used(path):
    file = load(path)
    declared = {
        name for kind in ("parameter", "variable", "resource", "module") for name in file.declarations(kind)
    }
    loop_variables = {
        _text(node.child_by_field_name("initializer"))
        for node in _walk(file.root)
        if node.type == "for_statement"
    }
    used = file.references()
    assert used - declared - loop_variables == set(), "undeclared names (a compiler would reject these)"
    assert set(file.params) | set(file.variables) <= used, "unused parameters or variables"


def test_main_uses_every_module_file_and_every_module_path_exists():
    referenced = set()
    for path in bicep_files():
        file = load(path)
        for module in file.modules.values():
            target = (file.path.parent / module.target).resolve()
            assert target.is_file(), f"{path.name}: module {module.name} -> missing {module.target}"
            referenced.add(target)
    assert referenced == {p.resolve() for p in (INFRA / "modules").glob("*.bicep")}


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_module_calls_match_the_module_parameters_and_outputs(path):
    file = load(path)
    for call in file.modules.values():
        module = module_file(file, call)
        passed = set(call.value.get("params", {}))
        declared = set(module.params)
        required = {name for name, decl in module.params.items() if not decl.has_value}
        assert passed <= declared, f"{call.name}: unknown parameters {passed - declared}"
        assert required <= passed, f"{call.name}: required parameters not given {required - passed}"
    for symbol, output in re.findall(r"\b(\w+)\.outputs\.(\w+)", path.read_text()):
        assert symbol in file.modules, f"{symbol}.outputs.{output}: {symbol} is not a module"
        assert output in module_file(file, file.modules[symbol]).outputs, f"{symbol} has no output {output}"


def test_resources_use_dated_stable_api_versions():
    for path in bicep_files():
        for resource in load(path).resources:
            _type, _, version = resource.target.partition("@")
            assert re.fullmatch(r"20\d\d-\d\d-\d\d", version), (
                f"{path.name}: {resource.target} is not a stable version"
            )


# --- what the app needs -----------------------------------------------------------------------------


def app_settings(events_backend: str) -> dict[str, Any]:
    """App settings as the Function App would see them for one events backend, Key Vault references resolved."""
    main = main_file()
    symbols = {**main.symbols(), "eventsBackend": events_backend}
    settings = dict(main.variables["appSettings"])
    if events_backend == "kafka":
        settings |= main.variables["kafkaSettings"]
    _, settings_module = module_call("functionAppSettings")
    host = settings_module.variables["hostSettings"]
    values = resolve(host, settings_module.symbols()) | resolve(settings, symbols)
    return {
        name: secrets.token_urlsafe(48) if str(value).startswith("@Microsoft.KeyVault(SecretUri=") else value
        for name, value in values.items()
    }


def setting_aliases() -> set[str]:
    from shared.config import Settings

    names = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names.update(alias.choices if hasattr(alias, "choices") else [alias])
    return names


def test_every_app_setting_named_in_main_is_one_the_app_reads():
    main = main_file()
    call, _ = module_call("functionAppSettings")
    assert call.value["params"]["appSettings"] == Expr(
        "union(appSettings, kafkaEnabled ? kafkaSettings : {})"
    )
    assert call.value["dependsOn"] == [Expr("rbac")], "settings (Key Vault references) wait for the roles"
    names = set(main.variables["appSettings"]) | set(main.variables["kafkaSettings"])
    assert names - setting_aliases() - RUNTIME_VARIABLES == set(), "typo, or a setting shared/config.py does not know"


def test_idle_openmp_threads_sleep_in_azure_as_under_make():
    assert main_file().variables["appSettings"]["OMP_WAIT_POLICY"] == "PASSIVE"
    assert re.search(r"^export OMP_WAIT_POLICY \?= PASSIVE$", (REPO / "Makefile").read_text(), re.MULTILINE)


def test_the_app_settings_start_the_app_in_the_azure_shape_for_each_events_backend(monkeypatch):
    from sqlalchemy.engine import make_url

    from shared.config import get_settings, load_settings

    backends = main_file().params["eventsBackend"].decorators["allowed"][0]
    assert "eventhub" in backends
    for backend in backends:
        with monkeypatch.context() as env:
            for name, value in app_settings(backend).items():
                env.setenv(name, str(value))
            get_settings.cache_clear()
            settings = load_settings()  # raises ConfigError naming any missing or invalid setting
        assert (settings.model_store, settings.events_backend, settings.embedded) == (
            "azureblob",
            backend,
            False,
        )
        assert settings.model_storage_connection.startswith("https://"), (
            "an account URL: DefaultAzureCredential"
        )
        url = make_url(settings.database_url)
        assert url.drivername == "mssql+pyodbc" and url.password is None and not url.username, "passwordless"
        assert url.query["Encrypt"] == "yes"


def test_the_database_url_uses_the_odbc_driver_the_grant_hook_uses():
    from sqlalchemy.engine import make_url

    script = importlib.import_module(GRANT_MODULE)
    assert make_url(app_settings("eventhub")["DATABASE_URL"]).query["driver"] == script.ODBC_DRIVER


def test_secrets_are_key_vault_references_to_secrets_the_templates_create():
    _, vault = module_call("keyVault")
    secret_names = {
        resolve(r.value["name"], vault.symbols())
        for r in resources_of(vault, "Microsoft.KeyVault/vaults/secrets")
    }
    main = main_file()
    for name in ("JWT_SECRET", "DOCUMENT_HASH_KEY"):
        value = main.variables["appSettings"][name]
        assert isinstance(value, Template) and value.parts[0] == "@Microsoft.KeyVault(SecretUri=", name
        output = value.parts[1].removeprefix("keyVault.outputs.")
        assert output in vault.outputs, name
    assert {"jwt-secret", "document-hash-key"} <= secret_names
    for name in ("jwtSecret", "documentHashKey"):
        assert "secure" in main.params[name].decorators and not main.params[name].has_value
        assert main.params[name].decorators["metadata"][0]["azd"]["type"] == "generate", (
            "stable across provisions"
        )


def test_app_settings_cover_every_setting_the_function_triggers_name():
    import function_app
    from shared.devhost.catalog import index_functions  # caches: get_functions() works once per app

    settings = app_settings("eventhub")
    referenced, connections = set(), set()
    for function in index_functions(function_app.app):
        for key, value in function.trigger.items():
            if key == "connection":
                connections.add(value)
            elif isinstance(value, str):
                referenced.update(re.findall(r"%(\w+)%", value))
    assert referenced and connections, "the app binds to an event hub through settings"
    assert referenced <= set(settings)
    for connection in connections:
        assert connection in settings or any(name.startswith(f"{connection}__") for name in settings), (
            connection
        )


def test_the_function_app_is_flex_consumption_python_with_a_system_identity():
    _, app = module_call("functionApp")
    plan = only(resources_of(app, "Microsoft.Web/serverfarms")).value
    site = only(resources_of(app, "Microsoft.Web/sites")).value
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    assert site["identity"] == {"type": "SystemAssigned"}
    config = site["properties"]["functionAppConfig"]
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert config["runtime"]["name"] == "python"
    assert passed_param("functionApp", "pythonVersion") == requires.removeprefix(">=")
    storage = config["deployment"]["storage"]
    assert storage["type"] == "blobContainer" and storage["authentication"] == {
        "type": "SystemAssignedIdentity"
    }
    assert passed_param("functionApp", "deploymentContainerName") in passed_param("storage", "containerNames")
    assert FLEX_REJECTED_SETTINGS.isdisjoint(app_settings("eventhub"))


def test_the_training_hub_its_consumer_group_and_the_models_container_are_declared():
    from shared.config import Settings

    settings = app_settings("eventhub")
    hub = passed_param("eventHubs", "hubName")
    assert hub == settings["TRAINING_EVENT_HUB"] == Settings.model_fields["training_event_hub"].default
    assert passed_param("eventHubs", "consumerGroupName") == settings["TRAINING_CONSUMER_GROUP"] != "$Default"
    assert settings["MODEL_CONTAINER"] in passed_param("storage", "containerNames")
    assert settings["MODEL_CONTAINER"] == Settings.model_fields["model_container"].default
    _, hubs = module_call("eventHubs")
    for resource_type, param in (
        ("Microsoft.EventHub/namespaces/eventhubs", "hubName"),
        ("Microsoft.EventHub/namespaces/eventhubs/consumergroups", "consumerGroupName"),
    ):
        assert only(resources_of(hubs, resource_type)).value["name"] == Expr(param)


def test_the_app_identity_holds_the_roles_that_replace_keys():
    call, rbac = module_call("rbac")
    assert call.value["params"]["appPrincipalId"] == Expr("functionApp.outputs.principalId")
    _, app = module_call("functionApp")
    assert app.outputs["principalId"].value == Expr("site.identity.principalId")
    roles = rbac.variables["roles"]
    scopes = {r.name: r.target.split("@")[0] for r in rbac.resources}
    granted = {}
    for assignment in resources_of(rbac, "Microsoft.Authorization/roleAssignments"):
        body = assignment.value
        if body["properties"]["principalId"] != Expr("appPrincipalId"):
            continue
        assert body["properties"]["principalType"] == "ServicePrincipal"
        for key in re.findall(r"\broles\.(\w+)", _text(assignment.node)):
            granted[roles[key]] = scopes[body["scope"]]
    assert granted == {role: scope for role, (_name, scope) in APP_ROLES.items()}


def test_resources_accept_identities_only():
    _, storage = module_call("storage")
    assert (
        only(resources_of(storage, "Microsoft.Storage/storageAccounts")).value["properties"][
            "allowSharedKeyAccess"
        ]
        is False
    )
    _, monitoring = module_call("monitoring")
    assert (
        only(resources_of(monitoring, "Microsoft.Insights/components")).value["properties"][
            "DisableLocalAuth"
        ]
        is True
    )
    assert app_settings("eventhub")["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "Authorization=AAD"
    _, sql = module_call("sql")
    admins = only(resources_of(sql, "Microsoft.Sql/servers")).value["properties"]["administrators"]
    assert admins["azureADOnlyAuthentication"] is True and admins["administratorType"] == "ActiveDirectory"
    _, vault = module_call("keyVault")
    assert (
        only(resources_of(vault, "Microsoft.KeyVault/vaults")).value["properties"]["enableRbacAuthorization"]
        is True
    )
    _, hubs = module_call("eventHubs")
    namespace = only(resources_of(hubs, "Microsoft.EventHub/namespaces")).value
    assert namespace["properties"]["disableLocalAuth"] == Expr("!kafkaEnabled")
    assert main_file().variables["kafkaEnabled"] == Expr("eventsBackend == 'kafka'")
    assert main_file().params["eventsBackend"].value == "eventhub", "keys stay off unless Kafka is chosen"
    assert "AzureWebJobsStorage" not in app_settings("eventhub"), (
        "identity-based: AzureWebJobsStorage__accountName"
    )


def test_no_secret_key_or_password_is_written_in_the_templates():
    texts = {
        path: path.read_text()
        for path in [*INFRA.rglob("*.bicep"), *INFRA.rglob("*.json"), REPO / "azure.yaml"]
    }
    for path, text in texts.items():
        for marker in (
            "AccountKey=",
            "SharedAccessKey=",
            "administratorLoginPassword",
            "DefaultEndpointsProtocol",
        ):
            assert marker.lower() not in text.lower(), f"{path.name}: {marker}"
        # listKeys only for the opt-in Kafka SAS rule; never a storage account key.
        assert set(re.findall(r"listKeys\(\s*(\w+)", text)) <= {"kafkaAuthorizationRuleId"}, path.name
        assert ".listKeys(" not in text, path.name
    for path in bicep_files():
        file = load(path)
        for node in _walk(file.root):
            value = _value(node) if node.type == "string" else None
            if isinstance(value, str) and not re.fullmatch(
                r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", value
            ):
                assert not re.fullmatch(r"[A-Za-z0-9+/_=-]{32,}", value), (
                    f"{path.name}: key-like literal {value[:8]}..."
                )
        secure = {name for name, decl in file.params.items() if "secure" in decl.decorators}
        for name in secure:
            assert not file.params[name].has_value, f"{path.name}: secure parameter {name} has a default"
        for output in file.outputs.values():
            assert not (file.references(output.node) & secure), (
                f"{path.name}: output {output.name} leaks a secret"
            )
            assert "listKeys" not in _text(output.node)


# --- azd --------------------------------------------------------------------------------------------


def test_azure_yaml_deploys_this_folder_as_the_function_app_that_main_bicep_tags():
    yaml = _require("yaml")
    project = yaml.safe_load((REPO / "azure.yaml").read_text())
    assert (REPO / project["infra"]["path"] / f"{project['infra'].get('module', 'main')}.bicep").is_file()
    ((name, service),) = project["services"].items()
    assert (service["host"], service["language"]) == ("function", "python")
    assert (REPO / service["project"] / "function_app.py").is_file() and (
        REPO / service["project"] / "host.json"
    ).is_file()
    assert main_file().variables["serviceName"] == name
    assert passed_param("functionApp", "serviceName") == name
    _, app = module_call("functionApp")
    assert "'azd-service-name': serviceName" in _text(only(resources_of(app, "Microsoft.Web/sites")).node)
    console_scripts = json.loads((REPO / "console" / "package.json").read_text())["scripts"]
    for name, hook in project["hooks"].items():
        for platform in hook.values():
            if name == "prepackage":  # the console's build (in console/), carried by the package
                assert re.findall(r"npm run (\w+)", platform["run"]) == ["build"] and "build" in console_scripts
                continue
            modules = re.findall(r"-m ([\w.]+)", platform["run"])
            assert modules and all(importlib.util.find_spec(module) for module in modules), platform["run"]


def test_parameters_file_gives_every_required_main_parameter_from_the_azd_environment():
    given = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    params = main_file().params
    assert set(given) <= set(params)
    generated = {
        name
        for name, decl in params.items()
        if decl.decorators.get("metadata", [{}])[0].get("azd", {}).get("type") == "generate"
    }
    required = {name for name, decl in params.items() if not decl.has_value} - generated
    assert required <= set(given), required - set(given)
    for name, entry in given.items():
        assert re.fullmatch(r"\$\{[A-Z_]+(=[\w-]*)?\}", entry["value"]), (
            f"{name}: not an azd environment value"
        )


# --- the postprovision hook -------------------------------------------------------------------------


def run_grant_script(tmp_path, **env: str) -> subprocess.CompletedProcess:
    """No PATH entries: neither `az` nor `azd` is found, so nothing leaves this machine."""
    empty = tmp_path / "bin"
    empty.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", GRANT_MODULE],
        cwd=REPO,
        check=False,
        env={"PATH": str(empty), "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_grant_hook_names_the_missing_azd_outputs(tmp_path):
    result = run_grant_script(tmp_path, AZURE_SQL_DATABASE="creditgate")
    assert result.returncode == 2
    assert "AZURE_SQL_SERVER" in result.stderr and "AZURE_FUNCTION_APP_NAME" in result.stderr
    assert "AZURE_SQL_DATABASE" not in result.stderr


def test_grant_hook_that_cannot_connect_points_to_the_manual_steps(tmp_path):
    result = run_grant_script(
        tmp_path,
        AZURE_SQL_SERVER="127.0.0.1",
        AZURE_SQL_DATABASE="creditgate",
        AZURE_FUNCTION_APP_NAME="func-x",
    )
    assert result.returncode == 1
    assert "docs/deploy.md" in result.stderr and "Traceback" not in result.stderr
