// The relay: a Linux web app on a Basic (or larger) App Service plan whose continuous WebJob
// (App_Data/jobs/continuous/relay, from dist/relay-webjob.zip) holds BigchainDB's Event Stream. Always On keeps
// the WebJob running (the app would otherwise idle after 20 minutes without requests, and its WebJobs with it);
// settings.job makes it a singleton, and the relay's own blob lease keeps one instance relaying at a time.
// README "Deploy to Azure" says why a WebJob rather than Azure Container Apps.

@description('Name of the web app.')
param name string

@description('Name of its App Service plan.')
param planName string

@description('Region of both.')
param location string

@description('Tags of both; the app also gets azd-service-name: relay (azure.yaml).')
param tags object

@description('App Service plan size: Basic or larger, the tiers that have Always On.')
@allowed([
  'B1'
  'B2'
  'B3'
  'S1'
  'P0v3'
  'P1v3'
])
param skuName string = 'B1'

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('Blob endpoint of the storage account.')
param storageBlobEndpoint string

@description('Queue endpoint of the storage account.')
param storageQueueEndpoint string

@description('Blob container of the relay\'s checkpoint and leader lease.')
param checkpointContainerName string

@description('Connection string of Application Insights (local authentication off).')
param applicationInsightsConnectionString string

@description('HTTP API of the BigchainDB network.')
param bigchainDbUrl string

@description('Event Stream URL; empty: the one the node advertises.')
param bigchainDbStreamUrl string

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'linux'
  sku: {
    name: skuName
    capacity: 1
  }
  properties: {
    reserved: true
  }
}

resource relayApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'relay'
  })
  kind: 'app,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    siteConfig: {
      linuxFxVersion: 'NODE|22-lts'
      alwaysOn: true
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
  }
}

// Every app setting; test/unit/infra/app-settings.test.ts checks them against what shared/settings.ts reads. The
// relay's storage connection is AzureWebJobsStorage (the default of RELAY_STORAGE_CONNECTION), identity-based; it
// uses blobs and queues only. An empty BIGCHAINDB_STREAM_URL counts as unset (shared/settings.ts).
var appSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
  AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint
  BIGCHAINDB_URL: bigchainDbUrl
  BIGCHAINDB_STREAM_URL: bigchainDbStreamUrl
  RELAY_CHECKPOINT_CONTAINER: checkpointContainerName
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // A heap limit makes V8 collect sooner: the relay's live heap is 25 to 35 MB, and with no limit V8 lets the heap
  // grow to about 125 MB (190 MB resident); with this one it stays near 65 MB (about 130 MB resident, bench/relay).
  // 192 MB leaves room for a very large block read whole during a catch-up.
  NODE_OPTIONS: '--max-old-space-size=192'
  // The package is a bundle: a zip deploy installs and builds nothing.
  SCM_DO_BUILD_DURING_DEPLOYMENT: 'false'
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: relayApp
  name: 'appsettings'
  properties: appSettings
}

// Keeps the app container's output on its file system for a few days, so that `az webapp log tail` streams it.
resource logs 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: relayApp
  name: 'logs'
  properties: {
    applicationLogs: {
      fileSystem: {
        level: 'Information'
      }
    }
    httpLogs: {
      fileSystem: {
        enabled: true
        retentionInDays: 3
        retentionInMb: 35
      }
    }
  }
}

// Deployments authenticate with Entra ID (azd, az webapp deploy); publishing user names and passwords are off.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: relayApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: relayApp
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = relayApp.name
