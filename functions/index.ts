import { app } from '@azure/functions';

import { jsonLinesLog } from '../shared/json-log';
import { parseFunctionsSettings } from '../shared/settings';
import { getCar, getCarOptions } from './get-car';
import { getCarPremiums, getCarPremiumsOptions } from './get-car-premiums';
import { getDriver, getDriverOptions } from './get-driver';
import { health, healthOptions } from './health';
import { insurerPremium, insurerPremiumOptions } from './insurer-premium';
import { leaseCar, leaseCarOptions } from './lease-car';
import { ledgerEventsWebhook, ledgerEventsWebhookOptions } from './ledger-events-webhook';
import { openApi, openApiOptions } from './openapi';
import { putDriver, putDriverOptions } from './put-driver';
import { registerCar, registerCarOptions } from './register-car';
import { returnCar, returnCarOptions } from './return-car';
import { createServices } from './services';
import { submitTransaction, submitTransactionOptions } from './submit-transaction';

// The app's composition root and its one list of functions. Settings are read here, once, when the worker
// loads the app: a bad or missing setting fails the load with an error naming every such setting.

const services = createServices(
  parseFunctionsSettings(process.env),
  jsonLinesLog((line) => process.stderr.write(line)),
);

app.setup({ enableHttpStream: false });

app.http('submitTransaction', { ...submitTransactionOptions, handler: submitTransaction(services) });
app.http('registerCar', { ...registerCarOptions, handler: registerCar(services) });
app.http('getCar', { ...getCarOptions, handler: getCar(services) });
app.http('leaseCar', { ...leaseCarOptions, handler: leaseCar(services) });
app.http('returnCar', { ...returnCarOptions, handler: returnCar(services) });
app.http('getCarPremiums', { ...getCarPremiumsOptions, handler: getCarPremiums(services) });
app.http('putDriver', { ...putDriverOptions, handler: putDriver(services) });
app.http('getDriver', { ...getDriverOptions, handler: getDriver(services) });
app.http('ledgerEventsWebhook', { ...ledgerEventsWebhookOptions, handler: ledgerEventsWebhook(services) });
app.http('health', { ...healthOptions, handler: health(services) });
app.http('openApiDocument', { ...openApiOptions, handler: openApi() });
app.storageQueue('insurerPremium', { ...insurerPremiumOptions, handler: insurerPremium(services) });

app.hook.appTerminate(() => services.telemetry.shutdown());
