// CreditGate on Azure, for `azd up`: a Flex Consumption Function App (Python 3.11) with a system-assigned
// identity, Blob Storage, Event Hubs, Azure SQL (Entra-only), Key Vault and Application Insights.
// Every connection is identity-based; the only key is the opt-in Kafka endpoint's hub-scoped SAS rule.
// Guide: docs/deploy.md.

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds the unique resource names.')
param environmentName string

@minLength(1)
@description('Region for every resource; it must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@minLength(1)
@description('Object id of the deploying user or service principal (azd: AZURE_PRINCIPAL_ID). It becomes the SQL Entra admin.')
param principalId string

@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Display name recorded for the SQL Entra admin.')
param sqlAdminLogin string = 'creditgate-deployer'

@description('Optional public IPv4 of the deployer\'s workstation, let through the SQL firewall for the grant hook and migrations.')
param clientIpAddress string = ''

@allowed([
  'eventhub'
  'kafka'
])
@description('How the app publishes training requests: AMQP with its identity, or the Kafka endpoint with a SAS connection string.')
param eventsBackend string = 'eventhub'

@description('NCRONTAB schedule of the outbox relay and lease requeue timer (the trigger reads it from the app settings).')
param trainingMaintenanceSchedule string = '*/30 * * * * *'

@description('NCRONTAB schedule of the timer that indexes logged prediction decisions per order.')
param predictionLogSchedule string = '*/30 * * * * *'

@description('NCRONTAB schedule of the timer that delivers webhook events and their retries.')
param webhookDeliverySchedule string = '*/10 * * * * *'
@description('NCRONTAB schedule of the timer that applies every company\'s retraining rule.')
param retrainingSchedule string = '0 0 * * * *'

param jwtIssuer string = 'creditgate'
param jwtAudience string = 'creditgate-api'

@secure()
@description('Signs access tokens. azd generates it once and keeps it in the environment (.azure/<env>/config.json).')
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 64
    }
  }
})
param jwtSecret string

@secure()
@description('Keys the CPF/CNPJ hashes. Changing it orphans every stored hash: azd generates it once and keeps it.')
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 64
    }
  }
})
param documentHashKey string

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var serviceName = 'api'
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var modelContainerName = 'models'
var trainingEventHubName = 'training-requests'
var trainingConsumerGroupName = 'creditgate-trainer'
var databaseName = 'creditgate'
var kafkaEnabled = eventsBackend == 'kafka'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    containerNames: [
      deploymentContainerName
      modelContainerName
    ]
  }
}

module eventHubs 'modules/eventhubs.bicep' = {
  name: 'eventhubs'
  scope: rg
  params: {
    namespaceName: 'evhns-${resourceToken}'
    location: location
    tags: tags
    hubName: trainingEventHubName
    consumerGroupName: trainingConsumerGroupName
    kafkaEnabled: kafkaEnabled
  }
}

module sql 'modules/sql.bicep' = {
  name: 'sql'
  scope: rg
  params: {
    serverName: 'sql-${resourceToken}'
    databaseName: databaseName
    location: location
    tags: tags
    administratorObjectId: principalId
    administratorLogin: sqlAdminLogin
    administratorType: principalType == 'ServicePrincipal' ? 'Application' : 'User'
    clientIpAddress: clientIpAddress
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    jwtSecret: jwtSecret
    documentHashKey: documentHashKey
    kafkaAuthorizationRuleId: eventHubs.outputs.kafkaAuthorizationRuleId
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    serviceName: serviceName
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    eventHubNamespaceName: eventHubs.outputs.namespaceName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

// The names are the app's settings (shared/config.py); docs/deploy.md explains each one.
var appSettings = {
  MODEL_STORE: 'azureblob'
  MODEL_STORAGE_CONNECTION: 'https://${storage.outputs.name}.blob.${environment().suffixes.storage}'
  MODEL_CONTAINER: modelContainerName
  EVENTS_BACKEND: eventsBackend
  EventHubConnection__fullyQualifiedNamespace: '${eventHubs.outputs.namespaceName}.servicebus.windows.net'
  TRAINING_EVENT_HUB: trainingEventHubName
  TRAINING_CONSUMER_GROUP: trainingConsumerGroupName
  TRAINING_MAINTENANCE_SCHEDULE: trainingMaintenanceSchedule
  PREDICTION_LOG_SCHEDULE: predictionLogSchedule
  WEBHOOK_DELIVERY_SCHEDULE: webhookDeliverySchedule
  // Webhooks only to https URLs of public addresses (the SSRF guard); true only for local receivers.
  WEBHOOKS_ALLOW_PRIVATE: 'false'
  RETRAINING_SCHEDULE: retrainingSchedule
  DATABASE_URL: 'mssql+pyodbc://@${sql.outputs.serverFqdn}:1433/${sql.outputs.databaseName}?driver=ODBC+Driver+18+for+SQL+Server&Encrypt=yes'
  JWT_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.jwtKeyUri})'
  DOCUMENT_HASH_KEY: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.documentHashKeyUri})'
  JWT_ISSUER: jwtIssuer
  JWT_AUDIENCE: jwtAudience
  // Read by the OpenMP runtime, not by the app: model fitting shares the instance's cores with
  // HTTP requests, and idle OpenMP threads that spin slow those down (the Makefile sets it too).
  OMP_WAIT_POLICY: 'PASSIVE'
}

// Only with eventsBackend 'kafka': the app publishes through the Kafka endpoint; the trigger keeps AMQP.
var kafkaSettings = {
  KAFKA_BOOTSTRAP_SERVERS: '${eventHubs.outputs.namespaceName}.servicebus.windows.net:9093'
  KAFKA_SECURITY_PROTOCOL: 'SASL_SSL'
  KAFKA_SASL_MECHANISM: 'PLAIN'
  KAFKA_SASL_USERNAME: '$ConnectionString'
  KAFKA_SASL_PASSWORD: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.kafkaCredentialUri})'
}

module functionAppSettings 'modules/app-settings.bicep' = {
  name: 'appsettings'
  scope: rg
  dependsOn: [
    rbac
  ]
  params: {
    functionAppName: functionApp.outputs.name
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appSettings: union(appSettings, kafkaEnabled ? kafkaSettings : {})
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_STORAGE_ACCOUNT string = storage.outputs.name
output AZURE_SQL_SERVER string = sql.outputs.serverFqdn
output AZURE_SQL_DATABASE string = sql.outputs.databaseName
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output EVENTHUB_NAMESPACE string = eventHubs.outputs.namespaceName
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
// The app's own settings, for running migrations or the app locally against these resources.
output DATABASE_URL string = appSettings.DATABASE_URL
output MODEL_STORAGE_CONNECTION string = appSettings.MODEL_STORAGE_CONNECTION
output MODEL_CONTAINER string = modelContainerName
output EventHubConnection__fullyQualifiedNamespace string = appSettings.EventHubConnection__fullyQualifiedNamespace
output TRAINING_EVENT_HUB string = trainingEventHubName
output TRAINING_CONSUMER_GROUP string = trainingConsumerGroupName
