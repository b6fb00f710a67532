"""How fast deploy-order reads a dense PHP file for one table's column (analysis/uses_php.py):
a Laravel controller whose methods repeat typical Eloquent queries, row reads, closures and
array literals. The tree is parsed once (kept per text, as in a run); each column asked is a
fresh reading of it, as when a PR drops several columns. CPU time, median of 5.

    .venv/bin/python bench/uses_php.py [methods, default 150]

Prints the lines found per column too: a change to the reader's speed must not change them.
"""

from __future__ import annotations

import statistics
import sys
import time

from guardrail.analysis import uses
from guardrail.analysis.uses_common import Target

# The budget per 1,000 lines for reading uses and inserts of one column, parse excluded: the
# whole-file walk in Python took 107 ms here (bench of 2026-11-29); a query takes the nodes.
BUDGET_MS = 50.0

METHOD = """
    public function action{n}(Request $request, Order $order): JsonResponse
    {{
        $orders = Order::where('status', 'paid')
            ->where('total', '>', {n})
            ->whereHas('customer', fn ($q) => $q->where('tier', 'gold'))
            ->orderBy('created_at')
            ->get();
        foreach ($orders as $o) {{
            $rows[] = ['id' => $o->id, 'status' => $o->status, 'coupon' => $o->coupon];
            $o->customer?->notify(new OrderShipped($o->id, $o->customer->email));
        }}
        $totals = DB::table('orders')->where('customer_id', $request->user()->id)
            ->pluck('total')->map(fn ($t) => $t * 100)->all();
        $config = ['a' => [1, 2, 3], 'b' => ['c' => 'd', 'e' => [4, 5, 6]], 'f' => "g{n}"];
        if ($order->status === 'open' && $order['coupon'] !== null) {{
            $order->update(['status' => 'closed', 'closed_at' => now()]);
        }}
        $invoice = Invoice::create(['order_id' => $order->id, 'total' => $order->total]);
        $copy = Order::create(['status' => 'new', 'total' => {n}]);
        return response()->json(['orders' => $rows ?? [], 'totals' => $totals, 'c' => $config]);
    }}
"""

COLUMNS: tuple[str | None, ...] = ("status", "coupon", "total", "closed_at", "absent_column", None)


def source(methods: int) -> str:
    body = "".join(METHOD.format(n=n) for n in range(methods))
    return (
        "<?php\n\nnamespace App\\Http\\Controllers;\n\nuse App\\Models\\Order;\n\n"
        f"class OrderController extends Controller\n{{{body}}}\n"
    )


def main() -> None:
    methods = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    text = source(methods)
    lines = text.count("\n") + 1
    path = "app/Http/Controllers/OrderController.php"
    t = time.process_time()
    uses.uses(path, text, Target("orders", "status"))  # parse (kept per text) and a first read
    first = time.process_time() - t
    found: dict[str | None, tuple[int, int]] = {}
    times = []
    for _ in range(5):
        t = time.process_time()
        for column in COLUMNS:
            target = Target("orders", column)
            found[column] = (
                len(uses.uses(path, text, target) or []),
                len(uses.inserts(path, text, target) or []),
            )
        times.append((time.process_time() - t) / len(COLUMNS))
    per_column = statistics.median(times)
    per_k = per_column * 1000 / lines * 1000
    print(f"PHP file: {lines} lines, {methods} methods")
    print(f"first read (parse included): {first * 1000:.0f} ms")
    print(f"uses + inserts per column: {per_column * 1000:.1f} ms ({per_k:.1f} ms per 1,000 lines)")
    print(
        f"budget {BUDGET_MS:.0f} ms per 1,000 lines: {'met' if per_k <= BUDGET_MS else 'NOT met'}"
    )
    for column, (n_uses, n_inserts) in found.items():
        print(f"  {column or '(the table)':<14} uses {n_uses:>5}  inserts {n_inserts:>5}")


if __name__ == "__main__":
    main()
