// Azure SQL logical server with Entra-only authentication (no SQL logins, no password anywhere)
// and the application database. The deployer is the Entra admin; the Function App's identity
// becomes a contained database user in the postprovision hook (infra/scripts/grant_sql_access.py).

param serverName string
param databaseName string
param location string
param tags object

@description('Object id of the Entra principal that administers the server (the deployer).')
param administratorObjectId string

@description('Display name recorded for the Entra admin.')
param administratorLogin string

@allowed([
  'User'
  'Group'
  'Application'
])
param administratorType string = 'User'

@description('Optional public IPv4 address let through the firewall, to run migrations from a workstation.')
param clientIpAddress string = ''

@description('Database SKU. S0 by default: the 30-second maintenance timer would keep a serverless database from ever pausing.')
param databaseSku object = {
  name: 'S0'
  tier: 'Standard'
}

@description('Case-sensitive, like SQLite and PostgreSQL: tenant keys "A1" and "a1" stay two rows.')
param collation string = 'SQL_Latin1_General_CP1_CS_AS'

resource server 'Microsoft.Sql/servers@2023-08-01' = {
  name: serverName
  location: location
  tags: tags
  properties: {
    version: '12.0'
    minimalTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    administrators: {
      administratorType: 'ActiveDirectory'
      azureADOnlyAuthentication: true
      login: administratorLogin
      sid: administratorObjectId
      principalType: administratorType
      tenantId: tenant().tenantId
    }
  }
}

// 0.0.0.0 is Azure's "allow Azure services" rule: a Flex Consumption app without VNet integration
// connects from shared Azure outbound addresses. Entra tokens, not this rule, authenticate it.
resource allowAzureServices 'Microsoft.Sql/servers/firewallRules@2023-08-01' = {
  parent: server
  name: 'AllowAllWindowsAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource allowClient 'Microsoft.Sql/servers/firewallRules@2023-08-01' = if (!empty(clientIpAddress)) {
  parent: server
  name: 'AllowDeployerClient'
  properties: {
    startIpAddress: clientIpAddress
    endIpAddress: clientIpAddress
  }
}

resource database 'Microsoft.Sql/servers/databases@2023-08-01' = {
  parent: server
  name: databaseName
  location: location
  tags: tags
  sku: databaseSku
  properties: {
    collation: collation
    requestedBackupStorageRedundancy: 'Local'
    zoneRedundant: false
  }
}

output serverName string = server.name
output serverFqdn string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
