/**
 * Order totals, with a real bug for the demo's /5xx route: an unknown order id is not
 * handled, so `order` is undefined and reading `order.lines` throws a TypeError. Sightline
 * reports it with this file's name and line (mapped from dist/ through the source map).
 */
interface OrderLine {
  sku: string;
  price: number;
  quantity: number;
}

interface Order {
  id: string;
  lines: OrderLine[];
}

const orders = new Map<string, Order>([
  ['A-1001', { id: 'A-1001', lines: [{ sku: 'tea-123', price: 4.5, quantity: 2 }] }],
  ['A-1002', { id: 'A-1002', lines: [{ sku: 'mug-7', price: 12, quantity: 1 }] }],
]);

export function orderTotal(id: string): number {
  const order = orders.get(id) as Order;
  return order.lines.reduce((sum, line) => sum + line.price * line.quantity, 0);
}
