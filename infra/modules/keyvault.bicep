// Key Vault (RBAC authorization) holding the app's secrets. The Function App reads them through
// Key Vault references in its app settings, with its managed identity (Key Vault Secrets User).

param name string
param location string
param tags object

@secure()
param jwtSecret string

@secure()
param documentHashKey string

@description('Resource id of the Event Hubs SAS rule whose connection string is the Kafka SASL password; empty when Kafka is not used.')
param kafkaAuthorizationRuleId string = ''

var kafkaEnabled = !empty(kafkaAuthorizationRuleId)

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource jwtSecretEntry 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'jwt-secret'
  properties: {
    value: jwtSecret
  }
}

resource documentHashKeyEntry 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'document-hash-key'
  properties: {
    value: documentHashKey
  }
}

// The ternary keeps ARM from evaluating listKeys when the rule does not exist.
resource kafkaPasswordEntry 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (kafkaEnabled) {
  parent: vault
  name: 'kafka-sasl-password'
  properties: {
    value: kafkaEnabled ? listKeys(kafkaAuthorizationRuleId, '2024-01-01').primaryConnectionString : ''
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
// Versionless URIs: a Key Vault reference then follows the latest version of each entry.
output jwtKeyUri string = jwtSecretEntry.properties.secretUri
output documentHashKeyUri string = documentHashKeyEntry.properties.secretUri
output kafkaCredentialUri string = kafkaEnabled ? kafkaPasswordEntry.properties.secretUri : ''
