// The whole product in Azure: one resource group with storage, monitoring, Key Vault, one user-assigned identity,
// the Functions app (Flex Consumption) and the relay (a continuous WebJob on a Basic Linux App Service plan).
// BigchainDB is not deployed: the apps use an existing network (bigchainDbUrl). See README "Deploy to Azure".
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment: names the resource group (rg-<name>) and seeds the other resource names.')
param environmentName string

@minLength(1)
@description('Region of every resource; it must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the person or service principal deploying; given, it may set the Key Vault secrets and read and write the storage data. azd sets it.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
@description('What kind of principal principalId is.')
param principalType string = 'User'

@minLength(1)
@description('HTTP API of an existing BigchainDB network that Azure can reach, for example https://bigchaindb.example.org (this template deploys none).')
param bigchainDbUrl string

@description('Event Stream URL of that network (wss://…/api/v1/streams/valid_transactions) when it differs from the one the node advertises; empty: as advertised.')
param bigchainDbStreamUrl string = ''

@secure()
@description('The leasing company\'s Ed25519 private key, base58 (the 32-byte seed). Empty: the Key Vault secret is left as it is (README: putting the signing key in Key Vault).')
param leasingCompanyPrivateKey string

@secure()
@description('Shared secret of the POST /api/ledger-events webhook, at least 32 characters. Empty: the Key Vault secret is left as it is.')
param ledgerWebhookSecret string

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package-${functionAppName}'
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    leasingCompanyPrivateKey: leasingCompanyPrivateKey
    ledgerWebhookSecret: ledgerWebhookSecret
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    identityPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

// Both apps wait for the role assignments: they resolve their Key Vault references and reach storage as the
// identity from their first start.
module functions 'app/functions.bicep' = {
  name: 'functions'
  scope: rg
  dependsOn: [
    rbac
  ]
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${functionAppName}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    checkpointContainerName: storage.outputs.checkpointContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: keyVault.outputs.uri
    signingKeySecretName: keyVault.outputs.signingKeySecretName
    webhookSecretName: keyVault.outputs.webhookSecretName
    bigchainDbUrl: bigchainDbUrl
  }
}

var relayAppName = '${abbrs.webSitesAppService}relay-${resourceToken}'

module relay 'app/relay.bicep' = {
  name: 'relay'
  scope: rg
  dependsOn: [
    rbac
  ]
  params: {
    name: relayAppName
    planName: '${abbrs.webServerFarms}${relayAppName}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    checkpointContainerName: storage.outputs.checkpointContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    bigchainDbUrl: bigchainDbUrl
    bigchainDbStreamUrl: bigchainDbStreamUrl
  }
}

// For azd (.azure/<environment>/.env) and for the README's commands.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = functions.outputs.name
output SERVICE_API_NAME string = functions.outputs.name
output SERVICE_API_URI string = 'https://${functions.outputs.defaultHostName}'
output SERVICE_RELAY_NAME string = relay.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_STORAGE_QUEUE_ENDPOINT string = storage.outputs.queueEndpoint
output AZURE_STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
