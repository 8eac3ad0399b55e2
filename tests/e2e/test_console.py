"""The console in a real browser (Debian's Chromium driven by Playwright) against a devhost: a
company signs up, uploads its history from `;`-separated CSV files with decimal commas, watches the
training, reads its model's charts, tries a decision, watches its monitoring, sets its retraining
rule and manages an API key and a webhook; a stale session returns to sign-in and another company
sees none of it. axe-core checks every page, and a screenshot of each is written under
.data/screenshots/ for a person to look at."""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from shared import console_files
from shared.demo import wait_for_job
from shared.sample_data import generate
from tests.services import REPO_ROOT, unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
AXE = REPO_ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO_ROOT / ".data" / "screenshots"
DATASETS = ("customers", "credit_limits", "serasa_queries", "orders")
CHARTS = ("chart-roc", "chart-pr", "chart-ks", "chart-histogram", "chart-calibration", "chart-importance")
PASSWORD = "senha de teste longa"
TIMEOUT_MS = 15_000

# One backend is enough here: the pages read the API, whose backends have their own e2e tests.
pytestmark = pytest.mark.parametrize("devhost", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    if not (console_files.DIST / console_files.INDEX).is_file() or not AXE.is_file():
        unavailable("the console is not built: run `make console`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (requirements-dev.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="pt-BR")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def console_url(devhost) -> str:
    return f"{devhost.url}/console/"


def brazilian(value) -> str:
    """A CSV cell as a Brazilian spreadsheet writes it: 1.234,56 and dd/mm/aaaa."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    return str(value)


def write_csvs(sample, directory: Path) -> dict[str, Path]:
    """One `;`-separated file per dataset; `attributes.<name>` columns; empty cells for absent values."""
    paths = {}
    for dataset in DATASETS:
        rows = [
            {**{k: v for k, v in item.items() if k != "attributes"}, **{f"attributes.{k}": v for k, v in item.get("attributes", {}).items()}}
            for item in sample.records(dataset)
        ]
        columns = list(dict.fromkeys(name for row in rows for name in row))
        paths[dataset] = directory / f"{dataset}.csv"
        with open(paths[dataset], "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file, delimiter=";")
            writer.writerow(columns)
            writer.writerows([brazilian(row[name]) if name in row else "" for name in columns] for row in rows)
    return paths


def check_page(page, name: str) -> None:
    """No serious or critical axe-core violation; a full-page screenshot for people."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter((v) => ["serious", "critical"].includes(v.impact))
            .map((v) => ({id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(" "))}))"""
    )
    assert violations == [], (name, violations)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# Whether a chart has drawn on its canvas: over 2,000 painted pixels (a blank canvas has none).
PAINTED = """(id) => { const c = document.getElementById(id);
    if (!c || c.width === 0) return false;
    const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let painted = 0; for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    return painted > 2000; }"""


def assert_chart_drawn(page, canvas_id: str) -> None:
    """Chart.js draws on the frame after the canvas is sized, so the test waits for the pixels."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    canvas = page.locator(f"#{canvas_id}")
    canvas.wait_for()
    assert int(canvas.get_attribute("data-points")) > 1, canvas_id
    try:
        page.wait_for_function(PAINTED, arg=canvas_id, timeout=10_000)
    except PlaywrightTimeout:
        raise AssertionError(f"{canvas_id} was not drawn") from None


def sign_up(page, devhost, company: str) -> str:
    email = f"console-{uuid.uuid4().hex[:10]}@example.com.br"
    page.goto(console_url(devhost))
    page.wait_for_url(re.compile(r"/console/signin$"))
    check_page(page, "signin")
    page.get_by_role("link", name="Criar conta").click()
    page.get_by_label("Empresa").fill(company)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha").fill(PASSWORD)
    check_page(page, "signup")
    page.get_by_role("button", name="Criar conta").click()
    page.get_by_role("heading", name="Visão geral").wait_for()
    return email


def test_a_company_goes_from_sign_up_to_a_trained_model_and_its_decisions(page, devhost, tmp_path) -> None:
    sample = generate(orders=600, seed=11)
    files = write_csvs(sample, tmp_path)
    sign_up(page, devhost, "Console Ltda")
    check_page(page, "overview-empty")

    page.get_by_role("link", name="Envio de dados").click()
    for dataset, path in files.items():
        page.set_input_files(f"#file-{dataset}", str(path))
    page.get_by_role("button", name="Verificar arquivos").click()
    checks = page.locator(".checks li")
    checks.first.wait_for()
    assert checks.all_inner_texts() == [
        f"{name} ({dataset}.csv): {count} linhas, {batches} lotes — colunas conferidas"
        for name, dataset, count, batches in [
            ("Clientes", "customers", len(sample.customers), 1),
            ("Limites de crédito", "credit_limits", len(sample.credit_limits), 1),
            ("Consultas Serasa", "serasa_queries", len(sample.serasa_queries), 1),
            ("Pedidos", "orders", 600, 2),
        ]
    ]
    page.get_by_role("button", name="Enviar").click()
    page.get_by_role("button", name="Concluir envio e treinar").click()
    page.get_by_text("Envio concluído").wait_for()
    assert page.locator("progress").evaluate("p => [p.value, p.max]") == [5, 5]
    check_page(page, "upload")

    page.get_by_role("link", name="ver treinamentos").click()
    page.locator('[data-status="succeeded"]').wait_for(timeout=120_000)
    page.get_by_text(re.compile(r"selection \d+,\d s · holdout")).wait_for()  # the job's stage times
    check_page(page, "jobs")

    page.get_by_role("link", name="Visão geral").click()
    active = page.get_by_role("link", name=re.compile(r"^v1 · "))
    active.wait_for()
    assert re.fullmatch(r"\d{1,3},\d%", page.locator(".cards dd").nth(2).inner_text())  # the automation rate
    check_page(page, "overview")

    page.get_by_role("link", name="Modelos").click()
    page.get_by_role("link", name="v1").click()
    page.get_by_role("heading", name=re.compile(r"^Modelo v1")).wait_for()
    for chart in CHARTS:
        assert_chart_drawn(page, chart)
    assert page.get_by_text("Ativo", exact=True).is_visible()
    check_page(page, "model")

    # A second version (a few more labeled orders), then a roll back through the confirmation.
    bearer = {"Authorization": "Bearer " + page.evaluate("sessionStorage.getItem('creditgate.token')")}
    more = [{**order, "order_id": f"MAIS-{order['order_id']}"} for order in list(sample.records("orders"))[-20:]]
    with devhost.client(headers=bearer) as client:
        upload = client.post("/uploads", json={}).raise_for_status().json()
        client.post(f"/uploads/{upload['upload_id']}/orders", json={"batch": 1, "items": more}).raise_for_status()
        commit = client.post(f"/uploads/{upload['upload_id']}/commit", json={"train": True}).raise_for_status().json()
        assert wait_for_job(client, commit["training_job_id"], timeout=120)["status"] == "succeeded"
        inactive = next(m["version"] for m in client.get("/models").json()["items"] if not m["active"])
        page.goto(f"{console_url(devhost)}models/{inactive}")
        page.get_by_role("button", name="Ativar esta versão").click()
        page.get_by_role("dialog").get_by_role("button", name="Confirmar").click()
        page.get_by_text("Ativo", exact=True).wait_for()
        assert [m["version"] for m in client.get("/models").json()["items"] if m["active"]] == [inactive]
    other = 3 - inactive  # versions 1 and 2
    page.get_by_label("Comparar com a versão").select_option(str(other))
    assert_chart_drawn(page, "chart-compare-roc")
    header = page.locator("#comparison th").all_inner_texts()
    assert header == ["", f"v{inactive}", f"v{other}"]
    assert page.locator("#comparison tbody tr").first.inner_text().startswith("ROC AUC")
    check_page(page, "model-compare")

    page.get_by_role("link", name="Testar decisão").click()
    page.get_by_label("Código do cliente").fill(sample.orders["customer_id"].iloc[-1])
    page.get_by_label("Valor (R$)").fill("12.345,67")
    page.get_by_role("button", name="Decidir").click()
    decision = page.locator("#decision")
    decision.wait_for()
    assert re.search(r"Probabilidade: \d{1,3},\d\s?%", decision.inner_text())
    assert_chart_drawn(page, "chart-waterfall")
    check_page(page, "try")

    order_id = page.get_by_label("Código do pedido").input_value()
    check_policy_changes_the_next_decision(page, devhost)
    check_decisions_page(page, order_id)
    labeled = {**list(sample.records("orders"))[-1], "order_id": order_id, "invoiced": True}
    check_monitoring_page(page, devhost, labeled, active_version=inactive)
    check_webhooks_page(page)
    check_drift_alert(page, devhost, active_version=inactive)

    page.get_by_role("link", name="Chaves de API").click()
    page.get_by_label("Nome da chave").fill("ERP")
    page.get_by_role("button", name="Criar chave").click()
    assert len(page.locator("#new-key").input_value()) >= 20
    check_page(page, "keys")
    page.get_by_role("button", name="Revogar: ERP").click()
    page.get_by_role("dialog").get_by_role("button", name="Revogar").click()
    revoked = page.get_by_role("cell", name=re.compile("^Revogada"))
    revoked.wait_for()
    assert re.fullmatch(r"Revogada \d{2}/\d{2}/\d{4}, \d{2}:\d{2}", revoked.inner_text())  # dd/mm/aaaa

    page.get_by_role("button", name="Sair").click()
    page.get_by_role("heading", name="Entrar").wait_for()
    assert page.evaluate("sessionStorage.getItem('creditgate.token')") is None


def check_policy_changes_the_next_decision(page, devhost) -> None:
    """Cutoffs no probability reaches send every order to review: drawn on the histogram, then decided."""
    page.get_by_role("link", name="Política").click()
    page.get_by_label("Pontos de corte").check()
    page.get_by_label("Faturar a partir de").fill("100")
    page.get_by_label("Reter abaixo de").fill("0")
    assert_chart_drawn(page, "chart-policy")
    preview = page.locator("#policy-preview").inner_text().split("\n")
    assert preview[preview.index("Automação") + 1] == "0,0%"
    check_page(page, "policy")
    page.get_by_role("button", name="Salvar nova versão").click()
    page.get_by_text("Política versão 1 salva.").wait_for()

    page.get_by_role("link", name="Testar decisão").click()
    page.get_by_label("Código do cliente").fill("C000001")
    page.get_by_label("Valor (R$)").fill("100,00")
    page.get_by_role("button", name="Decidir").click()
    assert page.locator("#decision [data-decision]").get_attribute("data-decision") == "review"


def check_decisions_page(page, order_id: str) -> None:
    page.get_by_role("link", name="Decisões").click()
    assert_chart_drawn(page, "chart-summary")
    assert page.get_by_role("cell", name=order_id, exact=True).is_visible()
    page.get_by_label("Decisão").select_option("review")
    page.get_by_role("button", name="Filtrar").click()
    page.wait_for_function("() => [...document.querySelectorAll('[data-decision]')].every((d) => d.dataset.decision === 'review')")
    assert set(page.locator("td [data-decision]").all_inner_texts()) == {"Análise"}
    check_page(page, "decisions")


def check_monitoring_page(page, devhost, labeled: dict, active_version: int) -> None:
    """The flow's decisions drawn per day with the PSI of each feature; the one order labeled
    since shows its realized figures as a small sample; the retraining rule saves."""
    bearer = {"Authorization": "Bearer " + page.evaluate("sessionStorage.getItem('creditgate.token')")}
    with devhost.client(headers=bearer) as client:
        upload = client.post("/uploads", json={}).raise_for_status().json()
        client.post(f"/uploads/{upload['upload_id']}/orders", json={"batch": 1, "items": [labeled]}).raise_for_status()
        client.post(f"/uploads/{upload['upload_id']}/commit", json={"train": False}).raise_for_status()
    page.get_by_role("link", name="Monitoramento").click()
    assert_chart_drawn(page, f"chart-mix-v{active_version}")
    assert_chart_drawn(page, f"chart-psi-v{active_version}")
    small = page.locator(f"#monitoring-v{active_version} ~ table .small-sample").first
    assert re.fullmatch(r".* \(n = [1-9]\d?\) amostra pequena", small.inner_text())
    statuses = page.locator("[data-psi-status]").evaluate_all("spans => spans.map((s) => s.dataset.psiStatus)")
    assert statuses and set(statuses) <= {"stable", "warning", "drift"}
    check_page(page, "monitoring")

    page.get_by_label("Treinar após novos pedidos rotulados").fill("250")
    page.get_by_label("Treinar quando houver deriva").check()
    page.get_by_label("O novo modelo assume").select_option("never")
    page.get_by_role("button", name="Salvar regra").click()
    page.get_by_text("Regra de retreino salva.").wait_for()
    with devhost.client(headers=bearer) as client:
        rule = client.get("/retraining").json()
    assert (rule["min_new_labeled"], rule["on_drift"], rule["auto_activate"]) == (250, True, "never")


def check_drift_alert(page, devhost, active_version: int) -> None:
    """120 orders unlike any the model trained on (customers without data, huge amounts): the
    overview shows the active model's drift."""
    bearer = {"Authorization": "Bearer " + page.evaluate("sessionStorage.getItem('creditgate.token')")}
    strange = [
        {"order_id": f"DERIVA-{i}", "customer_id": f"SEM-CADASTRO-{i}", "ordered_at": f"{date.today()}T10:00:00", "amount": 9_000_000.0 + i}
        for i in range(120)
    ]
    with devhost.client(headers=bearer) as client:
        client.post("/predictions", json={"orders": strange}).raise_for_status()
    page.get_by_role("link", name="Visão geral").click()
    alert = page.get_by_role("link", name=re.compile(rf"^Deriva \(PSI ≥ 0,25\) no modelo v{active_version}: "))
    alert.wait_for()
    assert re.fullmatch(r".*: [^,]+ \(\d+,\d\d\), [^,]+ \(\d+,\d\d\), [^,]+ \(\d+,\d\d\) e mais \d+", alert.inner_text())
    check_page(page, "overview-drift")


def check_webhooks_page(page) -> None:
    """A webhook to a local receiver: created with its secret shown once, listed, its (empty)
    delivery log read, then deleted through the confirmation."""
    hook = "http://127.0.0.1:9/hook"
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("URL", exact=True).fill(hook)
    page.get_by_label("Deriva detectada").uncheck()
    page.get_by_role("button", name="Criar webhook").click()
    secret = page.locator("#new-secret").input_value()
    assert secret.startswith("whsec_")
    row = page.get_by_role("row", name=hook)
    assert "Modelo ativado" in row.inner_text() and "Deriva detectada" not in row.inner_text()
    check_page(page, "webhooks")
    page.get_by_role("button", name=f"Entregas: {hook}").click()
    page.get_by_text(f"Entregas para {hook}").wait_for()
    page.reload()
    page.get_by_role("row", name=hook).wait_for()
    assert secret not in page.content()  # shown once
    page.get_by_role("button", name=f"Excluir: {hook}").click()
    page.get_by_role("dialog").get_by_role("button", name="Excluir").click()
    page.get_by_text("Nenhum webhook ainda.").wait_for()


def test_an_expired_token_returns_to_sign_in(page, devhost) -> None:
    page.goto(console_url(devhost) + "signin")
    page.evaluate("sessionStorage.setItem('creditgate.token', 'expired.bogus.token')")
    page.goto(console_url(devhost) + "models")
    page.get_by_text("Sua sessão expirou").wait_for()
    assert page.url.endswith("/console/signin")
    assert page.evaluate("sessionStorage.getItem('creditgate.token')") is None


def test_another_company_sees_none_of_the_first_ones_data(page, devhost) -> None:
    headers = devhost.signup()
    with devhost.client(headers=headers) as client:
        client.post("/api-keys", json={"name": "segredo-da-outra"}).raise_for_status()
        upload = client.post("/uploads", json={}).json()
    sign_up(page, devhost, "Outra Ltda")
    page.get_by_role("link", name="Chaves de API").click()
    page.get_by_text("Nenhuma chave ainda.").wait_for()
    page.get_by_role("link", name="Visão geral").click()
    page.get_by_text("Nenhum modelo treinado ainda").wait_for()
    page.get_by_role("link", name="Decisões").click()
    page.get_by_text("Nenhuma decisão encontrada.").wait_for()
    assert upload["upload_id"] not in page.content()
    assert "segredo-da-outra" not in page.content()


def test_training_started_by_hand_that_fails_is_an_alert_on_the_overview(page, devhost) -> None:
    headers = devhost.signup()
    order = {"order_id": "O1", "customer_id": "C1", "ordered_at": "2025-01-02T10:00:00", "amount": 10.5, "invoiced": True}
    with devhost.client(headers=headers) as client:
        upload = client.post("/uploads", json={}).raise_for_status().json()
        client.post(f"/uploads/{upload['upload_id']}/customers", json={"batch": 1, "items": [{"customer_id": "C1"}]}).raise_for_status()
        client.post(f"/uploads/{upload['upload_id']}/orders", json={"batch": 1, "items": [order]}).raise_for_status()
        client.post(f"/uploads/{upload['upload_id']}/commit", json={"train": False}).raise_for_status()
        page.goto(console_url(devhost) + "signin")
        page.evaluate("(token) => sessionStorage.setItem('creditgate.token', token)", headers["Authorization"].removeprefix("Bearer "))
        page.goto(console_url(devhost) + "monitoring")
        page.get_by_text("Nenhuma decisão no período.").wait_for()
        page.get_by_role("button", name="Treinar agora").click()
        page.get_by_text("Treinamento na fila.").wait_for()
        (job,) = client.get("/training-jobs").json()["items"]
        assert job["reason"] == "manual"
        assert wait_for_job(client, job["job_id"], timeout=60)["status"] == "failed"  # one labeled order
    page.get_by_role("link", name="Visão geral").click()
    page.get_by_role("link", name=re.compile("^O último treinamento falhou")).wait_for()
    assert "too little data" in page.locator(".alerts").inner_text()
    check_page(page, "overview-alert")


def test_english_is_selectable_and_remembered(page, devhost) -> None:
    page.goto(console_url(devhost) + "signin")
    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("heading", name="Sign in").wait_for()
    page.reload()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"


def test_uploads_check_columns_first_and_show_a_refused_batch_by_file_line(page, devhost, tmp_path) -> None:
    customers = tmp_path / "customers.jsonl"
    customers.write_text('{"customer_id": "C1", "name": "Loja Um"}\n\n{"customer_id": "C2"}\n')
    typo = tmp_path / "orders_typo.csv"
    typo.write_text("order_id,customer_id,ordered_at,amout\nO1,C1,2025-01-02T10:00:00,10.5\n")
    bad = tmp_path / "orders.csv"
    bad.write_text(
        "order_id,customer_id,ordered_at,amount,invoiced\n"
        "O1,C1,2025-01-02T10:00:00,1234.56,true\n"
        "\n"
        "O2,C2,2025-01-03T10:00:00,-5,false\n"
    )
    sign_up(page, devhost, "Arquivos Ltda")
    page.get_by_role("link", name="Envio de dados").click()
    page.set_input_files("#file-customers", str(customers))
    page.set_input_files("#file-orders", str(typo))
    page.get_by_role("button", name="Verificar arquivos").click()
    page.get_by_text("colunas obrigatórias ausentes: amount; colunas desconhecidas: amout").wait_for()
    assert page.get_by_role("button", name="Enviar").is_disabled()

    page.set_input_files("#file-orders", str(bad))
    page.get_by_role("button", name="Verificar arquivos").click()
    page.get_by_text("Clientes (customers.jsonl): 2 linhas, 1 lotes — colunas conferidas").wait_for()
    page.get_by_role("button", name="Enviar").click()
    refused = page.get_by_role("alert")
    refused.wait_for()
    assert refused.inner_text().split()[:12] == "O lote 1 de Pedidos foi recusado linha 4: amount: Input should".split()
    assert page.get_by_role("button", name="Retomar envio").is_enabled()
    assert page.locator("progress").evaluate("p => [p.value, p.max]") == [1, 2]
    check_page(page, "upload-refused")

    # Fixed and checked again, the upload resumes at the refused batch: the customers are not resent.
    fixed = tmp_path / "fixed" / "orders.csv"
    fixed.parent.mkdir()
    fixed.write_text(bad.read_text().replace(",-5,", ",5,"))
    page.set_input_files("#file-orders", str(fixed))
    page.get_by_role("button", name="Verificar arquivos").click()
    page.get_by_text("Pedidos (orders.csv): 2 linhas, 1 lotes — colunas conferidas").wait_for()
    assert page.locator("progress").evaluate("p => [p.value, p.max]") == [1, 2]
    page.get_by_role("button", name="Retomar envio").click()
    page.get_by_role("button", name="Concluir envio e treinar").click()
    page.get_by_text("Envio concluído").wait_for()
    with devhost.client(headers={"Authorization": "Bearer " + page.evaluate("sessionStorage.getItem('creditgate.token')")}) as client:
        (upload,) = client.get("/uploads").json()["items"]
    assert {name: (d["batches"], d["items"]) for name, d in upload["datasets"].items()} == {"customers": (1, 2), "orders": (1, 2)}
