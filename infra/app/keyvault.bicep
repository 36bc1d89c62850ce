// Key Vault in RBAC mode with the Functions app's two secrets, which its app settings name by Key Vault reference.
// A secret is written only when its parameter is given: a deployment with an empty value leaves the secret (set
// with `az keyvault secret set`, README) as it is.

@description('Name of the vault (3 to 24 characters).')
param name string

@description('Region of the vault.')
param location string

@description('Tags of the vault.')
param tags object

@secure()
@description('The leasing company\'s Ed25519 private key, base58; empty: leave the secret as it is.')
param leasingCompanyPrivateKey string

@secure()
@description('The webhook\'s shared secret; empty: leave the secret as it is.')
param ledgerWebhookSecret string

var signingKeySecretName = 'leasing-company-private-key'
var webhookSecretName = 'ledger-webhook-secret'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
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
    // Flex Consumption cannot resolve Key Vault references from a network-restricted vault (azure-functions.md §7.2).
    publicNetworkAccess: 'Enabled'
  }
}

resource signingKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(leasingCompanyPrivateKey)) {
  parent: vault
  name: signingKeySecretName
  properties: {
    value: leasingCompanyPrivateKey
    contentType: 'Ed25519 private key, base58 (32-byte seed)'
  }
}

resource webhookSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(ledgerWebhookSecret)) {
  parent: vault
  name: webhookSecretName
  properties: {
    value: ledgerWebhookSecret
    contentType: 'HMAC-SHA256 shared secret of POST /api/ledger-events'
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
output signingKeySecretName string = signingKeySecretName
output webhookSecretName string = webhookSecretName
