// Event Hubs namespace with the training-requests hub and the consumer group of the trainer function.
// Standard tier: Basic allows only the $Default consumer group and has no Kafka endpoint.
// SAS (key) authentication stays disabled unless the Kafka endpoint alternative is chosen, because
// Kafka clients authenticate with a connection string; that rule is scoped to the hub.

param namespaceName string
param location string
param tags object
param hubName string
param consumerGroupName string

@description('Events are keyed by tenant; a few partitions are plenty for training requests.')
@minValue(1)
@maxValue(32)
param partitionCount int = 4

@description('true when the app publishes through the Kafka endpoint (EVENTS_BACKEND=kafka).')
param kafkaEnabled bool = false

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
    capacity: 1
  }
  properties: {
    disableLocalAuth: !kafkaEnabled
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: hubName
  properties: {
    partitionCount: partitionCount
    messageRetentionInDays: 1
  }
}

resource consumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: hub
  name: consumerGroupName
}

resource kafkaRule 'Microsoft.EventHub/namespaces/eventhubs/authorizationRules@2024-01-01' = if (kafkaEnabled) {
  parent: hub
  name: 'creditgate-kafka'
  properties: {
    rights: [
      'Send'
      'Listen'
    ]
  }
}

output namespaceName string = namespace.name
output hubName string = hub.name
output consumerGroupName string = consumerGroup.name
output kafkaAuthorizationRuleId string = kafkaEnabled ? kafkaRule.id : ''
