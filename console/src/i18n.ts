// Portuguese (pt-BR) by default, English selectable; the choice is kept in localStorage.
// Formats follow the language, but money is always in reais and dates always day first.

export type Lang = "pt-BR" | "en";
const LANG_KEY = "creditgate.lang";

const pt = {
  skip: "Pular para o conteúdo",
  language: "Idioma",
  nav: "Navegação principal",
  overview: "Visão geral",
  upload: "Envio de dados",
  jobs: "Treinamentos",
  models: "Modelos",
  try: "Testar decisão",
  keys: "Chaves de API",
  signOut: "Sair",
  signIn: "Entrar",
  signUp: "Criar conta",
  company: "Empresa",
  email: "E-mail",
  password: "Senha",
  passwordHint: "De 12 a 128 caracteres.",
  noAccount: "Ainda não tem conta?",
  haveAccount: "Já tem conta?",
  expired: "Sua sessão expirou. Entre novamente.",
  loading: "Carregando…",
  error: "Erro",
  none: "Nenhum",
  yes: "Sim",
  no: "Não",
  cancel: "Cancelar",
  confirm: "Confirmar",
  // overview
  activeModel: "Modelo ativo",
  noModel: "Nenhum modelo treinado ainda. Comece pelo envio de dados.",
  lastJob: "Último treinamento",
  lastUpload: "Último envio",
  // upload
  uploadIntro:
    "Escolha um arquivo por conjunto de dados: CSV (separado por vírgula ou ponto e vírgula, decimais com vírgula aceitos) ou JSON lines. As colunas são os campos do contrato; attributes.<nome> vira um atributo.",
  dataset_customers: "Clientes",
  dataset_credit_limits: "Limites de crédito",
  dataset_serasa_queries: "Consultas Serasa",
  dataset_orders: "Pedidos",
  check: "Verificar arquivos",
  send: "Enviar",
  resume: "Retomar envio",
  commit: "Concluir envio e treinar",
  rows: "linhas",
  batches: "lotes",
  progress: "Progresso do envio",
  missingColumns: "colunas obrigatórias ausentes",
  unknownColumns: "colunas desconhecidas",
  columnsOk: "colunas conferidas",
  noFiles: "Escolha ao menos um arquivo.",
  batchFailed: "O lote {batch} de {dataset} foi recusado",
  line: "linha",
  sent: "Todos os lotes foram enviados.",
  committed: "Envio concluído. Treinamento na fila:",
  seeJobs: "ver treinamentos",
  parseError: "não foi possível ler",
  // jobs
  status: "Situação",
  reason: "Motivo",
  created: "Criado em",
  queued: "Na fila",
  running: "Em execução",
  succeeded: "Concluído",
  failed: "Falhou",
  skipped: "Ignorado",
  waitTime: "Espera",
  runTime: "Duração",
  model: "Modelo",
  noJobs: "Nenhum treinamento ainda.",
  // models
  version: "Versão",
  algorithm: "Algoritmo",
  active: "Ativo",
  activate: "Ativar esta versão",
  activateQuestion: "Ativar a versão {version}? As próximas decisões usarão este modelo.",
  activated: "Versão {version} ativa.",
  noModels: "Nenhum modelo ainda.",
  holdout: "Teste em pedidos recentes ({orders} pedidos)",
  leaderboard: "Candidatos comparados",
  compare: "Comparação de versões",
  compareWith: "Comparar com a versão",
  chartRoc: "Curva ROC",
  chartPr: "Precisão × recall",
  chartKs: "KS: distribuições acumuladas",
  chartHistogram: "Distribuição de scores por classe",
  chartCalibration: "Calibração",
  chartImportance: "Importância das variáveis",
  invoiced: "Faturados",
  refused: "Recusados",
  falsePositiveRate: "Taxa de falsos positivos",
  truePositiveRate: "Taxa de verdadeiros positivos",
  recall: "Recall",
  precision: "Precisão",
  threshold: "Probabilidade de corte",
  share: "Proporção",
  predicted: "Probabilidade prevista",
  observed: "Taxa faturada observada",
  perfect: "Calibração perfeita",
  chance: "Acaso",
  probability: "Probabilidade",
  orders: "Pedidos",
  impact: "Impacto médio na probabilidade",
  automation: "Automação a 98% de precisão",
  // try
  tryIntro: "Preencha um pedido para ver a decisão do modelo ativo e seus motivos.",
  orderId: "Código do pedido",
  customerId: "Código do cliente",
  orderedAt: "Data e hora do pedido",
  amount: "Valor (R$)",
  paymentTerm: "Prazo de pagamento (dias)",
  channel: "Canal (opcional)",
  decide: "Decidir",
  decision: "Decisão",
  decisionInvoice: "Faturar",
  decisionReview: "Não faturar automaticamente",
  score: "Score",
  reasons: "Motivos",
  unknownCustomer: "Cliente sem dados cadastrados: decidido sem histórico.",
  others: "Demais fatores",
  final: "Probabilidade final",
  // keys
  keyName: "Nome da chave",
  createKey: "Criar chave",
  keyShownOnce: "Copie a chave agora: ela não será mostrada de novo.",
  newKey: "Nova chave",
  revoke: "Revogar",
  revokeQuestion: "Revogar a chave “{name}”? Quem a usa deixará de ter acesso.",
  revoked: "Revogada",
  noKeys: "Nenhuma chave ainda.",
  name: "Nome",
  actions: "Ações",
};

export type Key = keyof typeof pt;

const en: Record<Key, string> = {
  skip: "Skip to content",
  language: "Language",
  nav: "Main navigation",
  overview: "Overview",
  upload: "Upload",
  jobs: "Training jobs",
  models: "Models",
  try: "Try a decision",
  keys: "API keys",
  signOut: "Sign out",
  signIn: "Sign in",
  signUp: "Sign up",
  company: "Company",
  email: "Email",
  password: "Password",
  passwordHint: "12 to 128 characters.",
  noAccount: "No account yet?",
  haveAccount: "Already have an account?",
  expired: "Your session expired. Please sign in again.",
  loading: "Loading…",
  error: "Error",
  none: "None",
  yes: "Yes",
  no: "No",
  cancel: "Cancel",
  confirm: "Confirm",
  activeModel: "Active model",
  noModel: "No trained model yet. Start with an upload.",
  lastJob: "Last training",
  lastUpload: "Last upload",
  uploadIntro:
    "Pick one file per dataset: CSV (comma or semicolon separated, decimal commas accepted) or JSON lines. Columns are the contract's fields; attributes.<name> becomes an attribute.",
  dataset_customers: "Customers",
  dataset_credit_limits: "Credit limits",
  dataset_serasa_queries: "Serasa queries",
  dataset_orders: "Orders",
  check: "Check files",
  send: "Send",
  resume: "Resume upload",
  commit: "Finish upload and train",
  rows: "rows",
  batches: "batches",
  progress: "Upload progress",
  missingColumns: "required columns missing",
  unknownColumns: "unknown columns",
  columnsOk: "columns checked",
  noFiles: "Pick at least one file.",
  batchFailed: "Batch {batch} of {dataset} was refused",
  line: "line",
  sent: "Every batch was sent.",
  committed: "Upload finished. Training queued:",
  seeJobs: "see training jobs",
  parseError: "could not read",
  status: "Status",
  reason: "Reason",
  created: "Created",
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  skipped: "Skipped",
  waitTime: "Wait",
  runTime: "Duration",
  model: "Model",
  noJobs: "No training jobs yet.",
  version: "Version",
  algorithm: "Algorithm",
  active: "Active",
  activate: "Activate this version",
  activateQuestion: "Activate version {version}? The next decisions will use this model.",
  activated: "Version {version} is active.",
  noModels: "No models yet.",
  holdout: "Tested on recent orders ({orders} orders)",
  leaderboard: "Candidates compared",
  compare: "Versions compared",
  compareWith: "Compare with version",
  chartRoc: "ROC curve",
  chartPr: "Precision × recall",
  chartKs: "KS: cumulative distributions",
  chartHistogram: "Score distribution per class",
  chartCalibration: "Calibration",
  chartImportance: "Feature importance",
  invoiced: "Invoiced",
  refused: "Refused",
  falsePositiveRate: "False positive rate",
  truePositiveRate: "True positive rate",
  recall: "Recall",
  precision: "Precision",
  threshold: "Probability cutoff",
  share: "Share",
  predicted: "Predicted probability",
  observed: "Observed invoiced rate",
  perfect: "Perfect calibration",
  chance: "Chance",
  probability: "Probability",
  orders: "Orders",
  impact: "Mean impact on the probability",
  automation: "Automation at 98% precision",
  tryIntro: "Fill in an order to see the active model's decision and its reasons.",
  orderId: "Order id",
  customerId: "Customer id",
  orderedAt: "Order date and time",
  amount: "Amount (R$)",
  paymentTerm: "Payment term (days)",
  channel: "Channel (optional)",
  decide: "Decide",
  decision: "Decision",
  decisionInvoice: "Invoice",
  decisionReview: "Do not invoice automatically",
  score: "Score",
  reasons: "Reasons",
  unknownCustomer: "No stored data for this customer: decided without history.",
  others: "Other factors",
  final: "Final probability",
  keyName: "Key name",
  createKey: "Create key",
  keyShownOnce: "Copy the key now: it will not be shown again.",
  newKey: "New key",
  revoke: "Revoke",
  revokeQuestion: "Revoke the key “{name}”? Whoever uses it loses access.",
  revoked: "Revoked",
  noKeys: "No keys yet.",
  name: "Name",
  actions: "Actions",
};

const DICTIONARIES: Record<Lang, Record<Key, string>> = { "pt-BR": pt, en };

export function lang(): Lang {
  return localStorage.getItem(LANG_KEY) === "en" ? "en" : "pt-BR";
}

export function setLang(value: Lang): void {
  localStorage.setItem(LANG_KEY, value);
  document.documentElement.lang = value;
}

/** The text of `key` in the current language, with `{name}` placeholders filled. */
export function t(key: Key, values: Record<string, string | number> = {}): string {
  return DICTIONARIES[lang()][key].replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ""));
}

// English keeps day-first dates (en-GB): the data and its users are Brazilian.
const locale = (): string => (lang() === "en" ? "en-GB" : "pt-BR");

export function money(value: number): string {
  return new Intl.NumberFormat(locale(), { style: "currency", currency: "BRL" }).format(value);
}

export function percent(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined) return "—";
  return new Intl.NumberFormat(locale(), { style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits }).format(ratio);
}

export function number(value: number, digits = 0): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

export function date(iso: string | null | undefined): string {
  return iso ? new Intl.DateTimeFormat(locale(), { day: "2-digit", month: "2-digit", year: "numeric" }).format(new Date(iso)) : "—";
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(locale(), { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}

export function seconds(from: string | null, to: string | null): string {
  if (!from || !to) return "—";
  return `${number((Date.parse(to) - Date.parse(from)) / 1000, 1)} s`;
}
