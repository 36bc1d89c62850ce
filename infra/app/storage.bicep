// The storage account of both apps: the Functions host's own storage, the product's queues and tables
// (shared/storage-names.ts), the relay's checkpoint container and the Functions deployment container.
// Keys are off: every client authenticates with Entra ID (the apps as the shared identity).

@description('Name of the storage account (3 to 24 lowercase letters and digits).')
param name string

@description('Region of the storage account.')
param location string

@description('Tags of the storage account.')
param tags object

@description('Blob container the Flex Consumption plan deploys the Functions app package from.')
param deploymentContainerName string

// The names the code uses (shared/storage-names.ts, shared/settings.ts); test/unit/infra/storage-layout.test.ts
// checks that they agree.
var queueNames = [
  'ledger-events'
  'ledger-events-poison'
  'premium-changes'
]
var tableNames = [
  'drivers'
  'premiums'
  'policies'
  'vinreservations'
]
var checkpointContainerName = 'relay-checkpoints'
var containerNames = [
  deploymentContainerName
  checkpointContainerName
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    supportsHttpsTrafficOnly: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for containerName in containerNames: {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queueName in queueNames: {
  parent: queueService
  name: queueName
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for tableName in tableNames: {
  parent: tableService
  name: tableName
}]

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
output deploymentContainerName string = deploymentContainerName
output checkpointContainerName string = checkpointContainerName
