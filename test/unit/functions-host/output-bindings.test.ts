import { expandBlobPath, UnsupportedBindingError } from '../../../dev/functions-host/output-bindings';
import { thrown } from '../../helpers/thrown';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';

describe('expandBlobPath', () => {
  describe('trigger data', () => {
    it('fills {id} from the binding data', () => {
      expect(expandBlobPath('receipts/{id}.json', { id: 'order-7' })).toBe('receipts/order-7.json');
    });

    it('matches names ignoring case, both ways', () => {
      expect(expandBlobPath('receipts/{ID}.json', { id: '7' })).toBe('receipts/7.json');
      expect(expandBlobPath('receipts/{id}.json', { Id: '7' })).toBe('receipts/7.json');
    });

    it('fills every expression and leaves the rest of the path alone', () => {
      expect(expandBlobPath('leases/{partition}/{id}-{id}.json', { id: '7', partition: 'cars', unused: 'x' })).toBe(
        'leases/cars/7-7.json',
      );
      expect(expandBlobPath('receipts/static.json', {})).toBe('receipts/static.json');
    });
  });

  describe('built-in expressions', () => {
    afterEach(() => {
      jest.useRealTimers();
    });

    it('fills {rand-guid} with a fresh random UUID each time', () => {
      const first = expandBlobPath('uploads/{rand-guid}.bin', {});
      const second = expandBlobPath('uploads/{Rand-Guid}.bin', {});

      expect(first).toMatch(new RegExp(`^uploads/${UUID}\\.bin$`));
      expect(second).toMatch(new RegExp(`^uploads/${UUID}\\.bin$`));
      expect(second).not.toBe(first);
    });

    it('fills {DateTime} with the current UTC time in ISO 8601', () => {
      jest.useFakeTimers({ now: new Date('2026-01-02T03:04:05.678Z') });

      expect(expandBlobPath('logs/{DateTime}.txt', {})).toBe('logs/2026-01-02T03:04:05.678Z.txt');
      expect(expandBlobPath('logs/{datetime}.txt', {})).toBe('logs/2026-01-02T03:04:05.678Z.txt');
    });
  });

  describe('a name with no data', () => {
    it('throws naming the path and the name', () => {
      const error = thrown(() => expandBlobPath('receipts/{orderId}.json', { id: '7' }));

      expect(error).toBeInstanceOf(UnsupportedBindingError);
      expect(error).toMatchObject({
        name: 'UnsupportedBindingError',
        code: 'HOST_BINDING_UNSUPPORTED',
        message: 'blob path receipts/{orderId}.json: no binding data named "orderId"',
      });
    });
  });
});
