// The Functions app on a Flex Consumption plan (Linux, Node 22), running as the shared identity: host storage,
// deployment package, Key Vault references and Application Insights all through it.

@description('Name of the function app.')
param name string

@description('Name of its Flex Consumption plan (one app per plan).')
param planName string

@description('Region of both.')
param location string

@description('Tags of both; the app also gets azd-service-name: api (azure.yaml).')
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('Blob endpoint of the storage account (https://<account>.blob.core.windows.net/).')
param storageBlobEndpoint string

@description('Queue endpoint of the storage account.')
param storageQueueEndpoint string

@description('Table endpoint of the storage account.')
param storageTableEndpoint string

@description('Blob container the plan deploys the app package from.')
param deploymentContainerName string

@description('The relay\'s checkpoint container, which the health check reads.')
param checkpointContainerName string

@description('Connection string of Application Insights (local authentication off).')
param applicationInsightsConnectionString string

@description('URI of the Key Vault holding the app\'s secrets (https://<vault>.vault.azure.net/).')
param keyVaultUri string

@description('Name of the secret holding the leasing company\'s signing key.')
param signingKeySecretName string

@description('Name of the secret holding the webhook\'s shared secret.')
param webhookSecretName string

@description('HTTP API of the BigchainDB network.')
param bigchainDbUrl string

@description('Most instances the plan may scale out to (40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory of each instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

// Every app setting; test/unit/infra/app-settings.test.ts checks them against what shared/settings.ts reads.
// Flex Consumption takes the runtime from functionAppConfig: FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION,
// WEBSITE_RUN_FROM_PACKAGE and the build settings are not set (azure-functions.md §4).
var appSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
  AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint
  AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
  BIGCHAINDB_URL: bigchainDbUrl
  LEASING_COMPANY_PRIVATE_KEY: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${signingKeySecretName}/)'
  LEDGER_WEBHOOK_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${webhookSecretName}/)'
  RELAY_CHECKPOINT_CONTAINER: checkpointContainerName
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: appSettings
}

// Deployments authenticate with Entra ID (azd, az functionapp deploy); publishing user names and passwords are off.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
