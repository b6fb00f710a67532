"""Uses of a table's column tied to the table by the code's syntax (guardrail/analysis/uses.py):
the same word on another model is not a use; a use through the model, a row of it, its
definition or an SQL string is."""

from __future__ import annotations

import pytest

from guardrail.analysis.uses import inserts, uses
from guardrail.analysis.uses_common import Target, maps_to_column, model_keys

ORDERS_STATUS = Target("orders", "status")


def test_model_keys() -> None:
    assert model_keys("line_items") == {"lineitems", "lineitem"}
    assert "order" in model_keys("shop_order", "shop/views.py")
    assert "order" not in model_keys("shop_order", "billing/views.py")


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("Order.objects.filter(status='paid')", [1]),
        ("Order.objects.filter(status__in=['a'])", [1]),
        ("Order.objects.order_by('-status')", [1]),
        ("Order.objects.filter(Q(status='a') | Q(total=1))", [1]),
        ("session.query(Order).filter_by(status='a')", [1]),
        ("select(Order.status)", [1]),
        ("o = Order.objects.get(pk=1)\nprint(o.status)", [2]),
        ("for o in Order.objects.all():\n    print(o.status)", [2]),
        ("def f(o: Order):\n    return o.status", [2]),
        ("cursor.execute('SELECT status FROM orders')", [1]),
        # another model, a word, a string outside any query: not this column
        ("Invoice.objects.filter(status='paid')", []),
        ("invoice.status = 'paid'", []),
        ("log('status changed')", []),
        ("cursor.execute('SELECT status FROM invoices')", []),
    ],
)
def test_python_uses(source: str, found: list[int]) -> None:
    assert uses("app/views.py", source, ORDERS_STATUS) == found


def test_python_model_definition() -> None:
    django = "class Order(models.Model):\n    status = models.CharField(max_length=8)\n"
    assert uses("shop/models.py", django, Target("order", "status")) == [2]
    alchemy = "class Purchase(Base):\n    __tablename__ = 'orders'\n    status = Column(String)\n"
    assert uses("app/models.py", alchemy, ORDERS_STATUS) == [3]
    other = "class Invoice(models.Model):\n    status = models.CharField(max_length=8)\n"
    assert uses("shop/models.py", other, Target("order", "status")) == []


def test_python_table_uses_and_unparsable() -> None:
    assert uses("a.py", "from shop.models import Order\nOrder.objects.all()\n", Target("orders"))
    assert uses("a.py", "def broken(:\n", ORDERS_STATUS) is None
    assert uses("a.go", "package x", ORDERS_STATUS) is None


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("Order.where(status: :paid)", [1]),
        ("Order.pluck(:status)", [1]),
        ("o = Order.find(1)\no.status", [2]),
        ("Order.where(paid: true).each do |o|\n  puts o.status\nend", [2]),
        ("class Order < ApplicationRecord\n  validates :status, presence: true\nend", [2]),
        ("Invoice.where(status: :paid)", []),
        ("invoice.status", []),
    ],
)
def test_ruby_uses(source: str, found: list[int]) -> None:
    assert uses("app/x.rb", source, ORDERS_STATUS) == found


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("knex('orders').select('id', 'status')", [1]),
        ("db('orders').where({ status: 'paid' })", [1]),
        ("prisma.order.findMany({ where: { status: 'paid' } })", [1]),
        ("const o = await prisma.order.findUnique({ where: { id } });\no.status;", [2]),
        (
            "@Entity('orders')\nexport class Purchase {\n  @Column() status: string;\n}",
            [3],
        ),
        ("prisma.invoice.findMany({ where: { status: 'paid' } })", []),
        ("knex('invoices').select('status')", []),
        ("const label = 'status';", []),
    ],
)
def test_typescript_uses(source: str, found: list[int]) -> None:
    assert uses("src/x.ts", source, ORDERS_STATUS) == found


@pytest.mark.parametrize(
    ("path", "source", "found"),
    [
        ("a.py", "Order.objects.create(total=1)", [1]),
        ("a.py", "Order(total=1).save()", [1]),
        ("a.py", "db.execute('INSERT INTO orders (id) VALUES (1)')", [1]),
        ("a.py", "def order(r):\n    pass\norder(1)", []),
        ("a.py", "Invoice.objects.create(total=1)", []),
        ("a.rb", "Order.create!(params)", [1]),
        ("a.rb", "Order.insert_all(rows)", [1]),
        ("a.rb", "Invoice.create!(params) # an order", []),
        ("a.ts", "await knex('orders').insert({ id })", [1]),
        ("a.ts", "await prisma.order.create({ data })", [1]),
        ("a.ts", "await prisma.invoice.create({ data })", []),
        # Provenance: outline/outline (BSL-1.1), server/routes/api/shares/shares.ts @ the parent
        # of 12c71f26, trimmed: saving a row found earlier updates it; create() inserts.
        (
            "a.ts",
            "const existing = await ShareSubscription.findOne({ where });\n"
            "await existing.save({ transaction });\n"
            "const s = await ShareSubscription.create({ shareId });",
            [3],
        ),
    ],
)
def test_inserts(path: str, source: str, found: list[int]) -> None:
    table = "share_subscriptions" if "ShareSubscription" in source else "orders"
    assert inserts(path, source, Target(table)) == found


def test_prisma_schema() -> None:
    schema = (
        "model Order {\n  id Int @id\n  status String\n}\n\nmodel Invoice {\n  status String\n}\n"
    )
    assert uses("prisma/schema.prisma", schema, Target("Order", "status")) == [3]
    assert uses("prisma/schema.prisma", schema, Target("Order", "total")) == []


def test_might_insert_is_a_superset_of_inserts() -> None:
    from guardrail.analysis.uses import might_insert

    target = Target("orders")
    for path, source in [
        ("a.py", "Order(total=1).save()"),
        ("a.py", "Order(total=1)"),
        ("a.py", "db.execute('INSERT INTO orders (id) VALUES (1)')"),
        ("a.rb", "Order.new(params)"),
        ("a.ts", "await prisma.order.createMany({ data })"),
    ]:
        assert inserts(path, source, target), source
        assert might_insert(source, target, path), source
    assert not might_insert("total = order.total  # read only", target, "a.py")


# -- PHP (Laravel) and C# (EF Core) ---------------------------------------------------------------

_LARAVEL_MODEL = """<?php
class Order extends Model
{
    protected $fillable = ['status', 'total'];
    protected $casts = ['paid_at' => 'datetime'];
    public function isPaid() { return $this->status === 'paid'; }
    public function scopePaid($query) { return $query->where('status', 'paid'); }
}
"""


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("Order::where('status', 'paid')->get();", [1]),
        ("Order::query()->orderBy('orders.status')->get();", [1]),
        ("\\App\\Models\\Order::pluck('status');", [1]),
        ("DB::table('orders')->where('status', 1)->get();", [1]),
        ("$o = Order::findOrFail($id);\necho $o->status;", [2]),
        ("$o = Order::first();\necho $o['status'];", [2]),
        ("function show(Order $order) {\n    return $order->status;\n}", [2]),
        ("foreach (Order::all() as $o) {\n    echo $o?->status;\n}", [2]),
        ("$q = Order::query();\n$q->where('status', 1);", [2]),
        ("Order::where(function ($q) {\n    $q->where('status', 1);\n});", [2]),
        ("$user->orders()->where('status', 1);", [1]),
        ("$order = new Order(['status' => 'new']);", [1]),
        ("$order = Order::find(1);\n$order->update(['status' => 'x']);", [2]),
        ("DB::select('SELECT status FROM orders');", [1]),
        # another model, a relation's columns, a value, a word
        ("Invoice::where('status', 'paid')->get();", []),
        ("function show(Invoice $invoice) {\n    return $invoice->status;\n}", []),
        ("Order::whereHas('invoice', fn ($q) => $q->where('status', 1));", []),
        ("Order::whereRelation('invoice', 'status', 'paid');", []),
        ("$order = Order::find(1);\n$order->invoices()->where('status', 1);", []),
        ("$order = Order::find(1);\necho $order->customer->status;", []),
        ("$label = 'status';", []),
    ],
)
def test_php_uses(source: str, found: list[int]) -> None:
    assert uses("app/Http/Controllers/OrderController.php", "<?php\n" + source, ORDERS_STATUS) == [
        n + 1 for n in found
    ]


def test_php_model_definition() -> None:
    assert uses("app/Models/Order.php", _LARAVEL_MODEL, ORDERS_STATUS) == [4, 6, 7]
    assert uses("app/Models/Order.php", _LARAVEL_MODEL, Target("orders", "paid_at")) == [5]
    other = _LARAVEL_MODEL.replace("class Order ", "class Invoice ")
    assert uses("app/Models/Invoice.php", other, ORDERS_STATUS) == []
    mapped = other.replace("{\n", "{\n    protected $table = 'orders';\n", 1)
    assert uses("app/Models/Invoice.php", mapped, ORDERS_STATUS) == [5, 7, 8]
    # a Blade template mixes markup with PHP: read by the name alone
    assert uses("resources/views/order.blade.php", "{{ $order->status }}", ORDERS_STATUS) is None
    assert uses("app/broken.php", "<?php function (", ORDERS_STATUS) is None


_EF_ENTITY = """public class Order
{
    public int Id { get; set; }
    public string Status { get; set; }
    [Column("paid_on")] public DateTime? PaidAt { get; set; }
}
"""


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('var paid = _db.Orders.Where(o => o.Status == "paid").ToList();', [1]),
        ("var paid = _db.Set<Order>().Select(o => new { o.Id, o.Status });", [1]),
        ('var q = from o in _db.Orders where o.Status == "paid" select o;', [1]),
        ("var o = await _db.Orders.FindAsync(id);\nreturn o.Status;", [2]),
        ("foreach (var o in _db.Orders.ToList())\n    Log(o?.Status);", [2]),
        ('_db.Orders.Add(new Order { Status = "new" });', [1]),
        ("modelBuilder.Entity<Order>().Property(e => e.Status).HasMaxLength(8);", [1]),
        ("_db.Database.ExecuteSqlRaw(\"UPDATE orders SET status = 'x'\");", [1]),
        # another entity, a navigation of a row, a value
        ('var paid = _db.Invoices.Where(i => i.Status == "paid").ToList();', []),
        (
            "var q = from o in _db.Orders join i in _db.Invoices on o.Id equals i.OrderId "
            "select i.Status;",
            [],
        ),
        ("var s = _db.Orders.Select(o => o.Customer.Status);", []),
        ('var label = "Status";', []),
    ],
)
def test_csharp_uses(source: str, found: list[int]) -> None:
    wrapped = "class OrderService {\n  async Task F(int id) {\n" + source + "\n  }\n}\n"
    assert uses("src/OrderService.cs", wrapped, Target("Orders", "Status")) == [
        n + 2 for n in found
    ]


def test_csharp_entity_definition() -> None:
    assert uses("src/Order.cs", _EF_ENTITY, Target("Orders", "Status")) == [4]
    assert uses("src/Order.cs", _EF_ENTITY, Target("orders", "paid_on")) == [5]
    # EFCore.NamingConventions: the migration says order_status for OrderStatus
    snake = _EF_ENTITY.replace("Status", "OrderStatus")
    assert uses("src/Order.cs", snake, Target("orders", "order_status")) == [4]
    other = _EF_ENTITY.replace("class Order", "class Invoice")
    assert uses("src/Invoice.cs", other, Target("Orders", "Status")) == []
    table = '[Table("orders")]\n' + other
    assert uses("src/Invoice.cs", table, Target("orders", "Status")) == [5]


@pytest.mark.parametrize(
    ("path", "source", "found"),
    [
        ("a.php", "<?php\nOrder::create($data);", [2]),
        ("a.php", "<?php\nDB::table('orders')->insert($rows);", [2]),
        ("a.php", "<?php\n$user->orders()->create($data);", [2]),
        ("a.php", "<?php\n$o = new Order($data);\n$o->save();", [2]),
        ("a.php", "<?php\n$o = Order::find(1);\n$o->save();", []),  # an update
        ("a.php", "<?php\nInvoice::create($data);", []),
        ("a.cs", "class A { void F() { _db.Orders.Add(order); } }", [1]),
        ("a.cs", "class A { void F(Order o) {\n _db.Add(o); } }", [2]),
        ("a.cs", "class A { void F() {\n var o = new Order { Total = 1 }; } }", [2]),
        ("a.cs", "class A { void F() { _db.Invoices.Add(new Invoice()); } }", []),
    ],
)
def test_php_and_csharp_inserts(path: str, source: str, found: list[int]) -> None:
    from guardrail.analysis.uses import might_insert

    assert inserts(path, source, Target("orders")) == found
    if found:
        assert might_insert(source, Target("orders"), path)


def test_php_static_queries_in_the_model() -> None:
    # Provenance: BookStackApp/BookStack (MIT), app/Auth/Role.php at the parent of 5f1ee5fb,
    # trimmed: `static::query()` in the model is a query on the model's own table.
    role = (
        "<?php\nclass Role extends Model\n{\n"
        "    public static function getRole($roleName)\n    {\n"
        "        return static::query()->where('name', '=', $roleName)->first();\n    }\n}\n"
    )
    assert uses("app/Auth/Role.php", role, Target("roles", "name")) == [6]
    assert uses("app/Auth/Role.php", role, Target("permissions", "name")) == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        # a lookup through a relation named after the model, in a query on another model
        ("LineItem.objects.filter(order__status='paid')", [1]),
        ("LineItem.objects.filter(order__status__in=['a', 'b'])", [1]),
        ("LineItem.objects.values('sku', 'order__status')", [1]),
        ("LineItem.objects.order_by('-order__status')", [1]),
        ("Refund.objects.filter(Q(item__order__status='paid'))", [1]),
        ("Customer.objects.filter(orders__status='paid')", [1]),
        # a relation field of this file that points at the model under another name
        (
            "class Refund(models.Model):\n"
            "    purchase = models.ForeignKey(Order, on_delete=models.CASCADE)\n"
            "Refund.objects.filter(purchase__status='paid')",
            [3],
        ),
        (
            "class Refund(models.Model):\n"
            "    purchase = models.ForeignKey('shop.Order', on_delete=models.CASCADE)\n"
            "Refund.objects.filter(purchase__status='paid')",
            [3],
        ),
        # the reverse side named by the model's related_name
        (
            "class Order(models.Model):\n"
            "    customer = models.ForeignKey(Customer, related_name='purchases',"
            " on_delete=models.CASCADE)\n"
            "Customer.objects.filter(purchases__status='paid')",
            [3],
        ),
        # another relation's column, the model's own column on a non-relation, a word
        ("LineItem.objects.filter(invoice__status='paid')", []),
        ("LineItem.objects.filter(status='paid')", []),
        ("LineItem.objects.filter(order__total=1)", []),
        ("log('order__status')", []),
    ],
)
def test_python_lookups_through_a_relation(source: str, found: list[int]) -> None:
    assert uses("shop/views.py", source, ORDERS_STATUS) == found


def test_python_select_related_uses_the_table() -> None:
    source = "items = LineItem.objects.select_related('order__customer')\n"
    assert uses("shop/views.py", source, Target("orders")) == [1]
    assert uses("shop/views.py", source.replace("order__", "invoice__"), Target("orders")) == []


def test_django_relations_read_from_the_models_file() -> None:
    from guardrail.analysis.uses import relations

    # Provenance: saleor/saleor (BSD-3-Clause), saleor/product/models.py at the parent of
    # dc6e1b5fec97, trimmed to the variant's relation to its product.
    models = (
        "class ProductVariant(models.Model):\n"
        "    product = models.ForeignKey(\n"
        '        Product, related_name="variants", on_delete=models.CASCADE\n    )\n'
        "class VariantImage(models.Model):\n"
        "    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE)\n"
    )
    target = Target("product_productvariant", None, "productvariant")
    assert relations("saleor/product/models.py", models, target) == {"variants", "variant"}
    assert relations("saleor/product/models.py", "def broken(:\n", target) == frozenset()
    lookup = "qs.filter(variants__price_amount__lte=1)"
    with_relations = Target("product_productvariant", "price_amount", "productvariant")
    assert uses("saleor/graphql/product/filters.py", lookup, with_relations) == []
    assert uses(
        "saleor/graphql/product/filters.py",
        lookup,
        Target("product_productvariant", "price_amount", "productvariant", frozenset({"variants"})),
    ) == [1]


@pytest.mark.parametrize(
    ("target", "source", "found"),
    [
        # A relation step between the row and the column: the column is the related model's.
        (ORDERS_STATUS, "o = Order.objects.get(pk=1)\nprint(o.customer.status)", []),
        (
            Target("customers", "status"),
            "o = Order.objects.get(pk=1)\nprint(o.customer.status)",
            [2],
        ),
        (ORDERS_STATUS, "line = LineItem.objects.get(pk=1)\nprint(line.order.status)", [2]),
        (ORDERS_STATUS, "def f(self):\n    return self.order.status", [2]),
        # Still the model's own column.
        (ORDERS_STATUS, "o = Order.objects.get(pk=1)\nprint(o.status)", [2]),
        (ORDERS_STATUS, "Order.objects.first().status", [1]),
        (ORDERS_STATUS, "select(Order.__table__.c.status)", [1]),
    ],
)
def test_python_relation_traversal_is_attributed_to_the_related_model(
    target: Target, source: str, found: list[int]
) -> None:
    assert uses("app/views.py", source, target) == found


@pytest.mark.parametrize(
    ("path", "target", "source", "found"),
    [
        # Ruby: a step through another association reads that model's column.
        ("x.rb", ORDERS_STATUS, "o = Order.find(1)\nputs o.customer.status\n", []),
        ("x.rb", Target("customers", "status"), "o = Order.find(1)\nputs o.customer.status\n", [2]),
        ("x.rb", ORDERS_STATUS, "line = LineItem.find(1)\nputs line.order.status\n", [2]),
        ("x.rb", ORDERS_STATUS, "order.customer.update!(status: 'vip')\n", []),
        (
            "x.rb",
            ORDERS_STATUS,
            "o = Order.find(1)\no.line_items.each do |li|\n  li.status\nend\n",
            [],
        ),
        # Ruby: still the model's own column, through finders, scopes and `@order`.
        ("x.rb", ORDERS_STATUS, "Order.active.where(x: 1).first.status\n", [1]),
        ("x.rb", ORDERS_STATUS, "Order.find_each do |o|\n  puts o.status\nend\n", [2]),
        ("x.rb", ORDERS_STATUS, "@order = Order.find(params[:id])\n@order.status\n", [2]),
        # Finders are judged down their chain: the items' first row is not an order.
        ("x.rb", ORDERS_STATUS, "o = Order.find(1)\no.line_items.first.status\n", []),
        ("x.rb", ORDERS_STATUS, "Customer.order(:created_at).first.status\n", []),
        ("x.rb", ORDERS_STATUS, "current_user.orders.find(params[:id]).status\n", [1]),
        ("x.rb", ORDERS_STATUS, "Order.where(a: 1).active.first.status\n", [1]),
        # JavaScript/TypeScript.
        (
            "x.ts",
            ORDERS_STATUS,
            "const o = await Order.findByPk(1);\nlog(o.customer.status);\n",
            [],
        ),
        (
            "x.ts",
            Target("customers", "status"),
            "const o = await Order.findByPk(1);\nlog(o.customer.status);\n",
            [2],
        ),
        (
            "x.ts",
            ORDERS_STATUS,
            "const o = await Order.findByPk(1);\nconst c = o.customer;\nc.status;\n",
            [],
        ),
        (
            "x.ts",
            ORDERS_STATUS,
            "const o = await Order.findByPk(1);\nawait o.customer.update({ status: 'x' });\n",
            [],
        ),
        ("x.ts", ORDERS_STATUS, "log(line.order.status);\n", [1]),
        (
            "x.ts",
            ORDERS_STATUS,
            "const o = await Order.findByPk(1);\nlog(o.dataValues.status);\n",
            [2],
        ),
        (
            "x.ts",
            ORDERS_STATUS,
            "await prisma.order.findMany({ where: { status: 'paid' } });\n",
            [1],
        ),
    ],
)
def test_ruby_and_js_relation_traversal_is_attributed_to_the_related_model(
    path: str, target: Target, source: str, found: list[int]
) -> None:
    assert uses(path, source, target) == found


CUSTOMERS_STATUS = Target("customers", "status")
_ORDER_ROW_PHP = "<?php\n$order = Order::find(1);\n"
_ORDER_ROW_CS = "class S {\n void F() {\n var order = db.Orders.Find(1);\n"


@pytest.mark.parametrize(
    ("path", "source", "orders", "customers"),
    [
        # Ruby: a projection is no longer the model's rows; its own block still is.
        ("x.rb", "Order.all.map { |o| o.customer }.each { |c| puts c.status }\n", [], []),
        ("x.rb", "Order.all.flat_map(&:lines).each { |l| puts l.status }\n", [], []),
        ("x.rb", "Order.all.map { |o| o.status }\n", [1], []),
        ("x.rb", "Order.where(paid: true).pluck(:status)\n", [1], []),
        # PHP: relations of a row, null-safe or not, and collection projections.
        ("x.php", _ORDER_ROW_PHP + "echo $order?->customer?->status;", [], [3]),
        ("x.php", _ORDER_ROW_PHP + "echo $order->customer['status'];", [], [3]),
        ("x.php", _ORDER_ROW_PHP + "$c = $order->customer;\necho $c->status;", [], [4]),
        ("x.php", _ORDER_ROW_PHP + "$order->customer()->update(['status' => 1]);", [], [3]),
        (
            "x.php",
            "<?php\nOrder::all()->map(fn ($o) => $o->customer)->each(fn ($c) => $c->status);",
            [],
            [],
        ),
        (
            "x.php",
            "<?php\n$cs = Order::all()->pluck('customer');\nforeach ($cs as $c) { echo $c->status; }",
            [],
            [],
        ),
        ("x.php", "<?php\n$s = Order::all()->pluck('status');", [2], []),
        ("x.php", "<?php\n$s = Order::all()->map(fn ($o) => $o->status);", [2], []),
        # C#: a navigation read through `?.` or `!`, ThenInclude's lambda, LINQ projections.
        ("x.cs", _ORDER_ROW_CS + "var s = order?.Customer?.Status;\n}}", [], [4]),
        ("x.cs", _ORDER_ROW_CS + "var s = order?.Customer.Status;\n}}", [], [4]),
        ("x.cs", _ORDER_ROW_CS + "var s = order.Customer!.Status;\n}}", [], [4]),
        ("x.cs", _ORDER_ROW_CS + "var s = order?.Status;\n}}", [4], []),
        (
            "x.cs",
            _ORDER_ROW_CS
            + "var q = db.Orders.Include(o => o.Customer).ThenInclude(c => c.Status);\n}}",
            [],
            [4],
        ),
        (
            "x.cs",
            _ORDER_ROW_CS
            + "var q = db.Customers.Include(c => c.Orders).ThenInclude(o => o.Status);\n}}",
            [4],
            [],
        ),
        (
            "x.cs",
            _ORDER_ROW_CS
            + "var q = db.Orders.Select(o => o.Customer).Where(c => c.Status == 1);\n}}",
            [],
            [],
        ),
        (
            "x.cs",
            _ORDER_ROW_CS
            + "var q = db.Orders.SelectMany(o => o.Lines).Where(l => l.Status == 1);\n}}",
            [],
            [],
        ),
        ("x.cs", _ORDER_ROW_CS + "var q = db.Orders.Select(o => o.Status);\n}}", [4], []),
    ],
)
def test_a_column_read_through_a_relation_or_projection_is_not_the_rows_model(
    path: str, source: str, orders: list[int], customers: list[int]
) -> None:
    """`order.customer.status` is the customer's status in every reader: the row's own model
    never claims it (that was a false GR511 when orders.status is dropped)."""
    assert uses(path, source, ORDERS_STATUS) == orders
    assert uses(path, source, CUSTOMERS_STATUS) == customers


@pytest.mark.parametrize(
    ("path", "source", "found"),
    [
        ("x.rb", "o = Order.find(1)\no.line_items.create!(sku: 'a')\n", []),
        ("x.rb", "current_user.orders.create!(total: 1)\n", [1]),
        ("x.ts", "const o = await Order.findByPk(1);\nawait o.items.create({ sku: 'a' });\n", []),
        ("x.ts", "await prisma.order.create({ data: { total: 1 } });\n", [1]),
    ],
)
def test_an_insert_through_an_association_is_the_associated_table(
    path: str, source: str, found: list[int]
) -> None:
    assert inserts(path, source, Target("orders")) == found


@pytest.mark.parametrize(
    ("name", "column", "kind", "folds", "same"),
    [
        # EF Core: the property's own name, or a naming convention's spelling of it
        ("Status", "Status", "csharp", False, True),
        ("Status", "status", "csharp", False, True),
        ("OrderStatus", "order_status", "csharp", False, True),
        ("OrderStatus", "orderstatus", "csharp", False, True),
        ("OrderStatus", "orderStatus", "csharp", False, True),
        ("OrderStatus", "ORDER_STATUS", "csharp", False, True),
        ("UserID", "user_id", "csharp", False, True),
        ("OrderStatus", "Order_status", "csharp", False, False),  # a quoted name kept as is
        ("Status", "status_code", "csharp", False, False),
        # Go: GORM's snake_case, sqlx's lower case
        ("OrderStatus", "order_status", "go", False, True),
        ("HTTPServer", "http_server", "go", False, True),
        ("Status", "Status", "go", False, True),
        ("Status", "STATUS", "go", False, False),
        # JPA: a field or an accessor's property, snake_case or folded
        ("getOrderStatus", "order_status", "jvm", False, True),
        ("isActive", "active", "jvm", False, True),
        ("setStatus", "status", "jvm", False, True),
        ("orderStatus", "orderstatus", "jvm", False, True),
        ("getStatusCode", "status", "jvm", False, False),
        ("getaway", "away", "jvm", False, False),
        # Python, Ruby, PHP, JavaScript: the exact name, or without case where the database
        # ignores it
        ("status", "status", "exact", False, True),
        ("status", "Status", "exact", False, False),
        ("Status", "status", "exact", False, False),
        ("status", "Status", "exact", True, True),
        ("OrderStatus", "order_status", "exact", True, False),
    ],
)
def test_maps_to_column(name: str, column: str, kind: str, folds: bool, same: bool) -> None:
    assert maps_to_column(name, column, kind, folds=folds) is same


def test_csharp_quoted_mixed_case_column_is_only_its_exact_property() -> None:
    source = (
        "class Svc {\n  int F(Db db) {\n"
        "    return db.Orders.Count(o => o.OrderStatus == 1);\n  }\n}\n"
    )
    assert uses("Svc.cs", source, Target("orders", "order_status")) == [3]
    assert uses("Svc.cs", source, Target("orders", "OrderStatus")) == [3]
    assert uses("Svc.cs", source, Target("orders", "Order_status")) == []
    assert uses("Svc.cs", source, Target("orders", "Order_status", folds=True)) == [3]


@pytest.mark.parametrize(
    ("language", "source"),
    [
        (
            "php",
            "<?php\nclass C extends Model {\n  protected $fillable = ['status'];\n"
            "  public function f(Order $o) {\n    $q = Order::where('status', 1)->get();\n"
            "    foreach ($q as $r) { $x = $r?->customer->status; }\n"
            "    return DB::table('orders')->insert(['a' => \"b{$o->id}\"]);\n  }\n}\n",
        ),
        # a string nested deeper than the walk goes (MAX_DEPTH) is left out by both
        ("php", "<?php\n" + "$a = [" * 150 + "'x'" + "]" * 150 + ";\n$b = Order::find(1);\n"),
    ],
)
def test_query_finds_the_nodes_the_walk_finds(language: str, source: str) -> None:
    """The reader's nodes come from a tree-sitter query (uses_common.nodes_by_type): the same
    nodes, in the same order, as walking the whole tree in Python, depth limit included."""
    from guardrail.analysis import uses_php
    from guardrail.analysis.migrations import grammar
    from guardrail.analysis.uses_common import in_order, nodes_by_type, walk_nodes

    root = grammar.parse(language, source)
    types = (*uses_php._TYPES, *uses_php._NAMES)
    walked = [n for n in walk_nodes(root) if n.type in types]
    found = nodes_by_type(root, language, types)
    assert [n.id for n in in_order(found, types)] == [n.id for n in walked]
    assert walked


ORDERS = Target("orders", "status")
CUSTOMERS = Target("customers", "status")
_FOUND = "const rows = await Order.findAll();\n"


@pytest.mark.parametrize(
    ("source", "orders", "customers"),
    [
        # TypeScript non-null steps: the row's own column, or the relation's
        ("const o = await prisma.order.findUnique({ where: { id } });\nreturn o!.status;", [2], []),
        (
            "const o = await prisma.order.findUnique({ where: { id } });\n"
            "return o!.customer!.status;",
            [],
            [2],
        ),
        # a callback's parameter is a row of the rows it iterates
        (_FOUND + "rows.forEach(o => o.status);", [2], []),
        (_FOUND + "rows.forEach((o) => { log(o.status); });", [2], []),
        (_FOUND + "rows.filter(o => o.total > 0).forEach(o => o.status);", [2], []),
        (_FOUND + "rows.reduce((acc, o) => acc + o.status, 0);", [2], []),
        ("Order.findAll().then(rows => rows.forEach(o => o.status));", [1], []),
        (_FOUND + "for (const o of rows) {\n  o.status;\n}", [3], []),
        ("function f(o: Order) {\n  return o.status;\n}", [2], []),
        # ... and nothing else is
        (_FOUND + "rows.map(o => o.customer).forEach(c => c.status);", [], []),
        (_FOUND + "const cs = rows.map(o => o.customer);\ncs.forEach(c => c.status);", [], []),
        (_FOUND + "rows.reduce((o, x) => o.status, 0);", [], []),
        (_FOUND + "for (const o in rows) {\n  o.status;\n}", [], []),
        (
            "const o = await Order.findByPk(1);\ninvoices.forEach(o => o.status);",
            [],
            [],
        ),
    ],
)
def test_javascript_callbacks_and_non_null_steps(
    source: str, orders: list[int], customers: list[int]
) -> None:
    assert uses("a.ts", source, ORDERS) == orders
    assert uses("a.ts", source, CUSTOMERS) == customers


def _ex(body: str) -> str:
    return "defmodule A do\n" + body + "end\n"


@pytest.mark.parametrize(
    ("source", "found"),
    [
        # Phoenix's generated create (a struct piped through the schema's changeset)
        (
            _ex(
                "  def c(a) do\n    %Order{}\n    |> Order.changeset(a)\n    |> Repo.insert()\n  end\n"
            ),
            [5],
        ),
        (_ex("  def c, do: Repo.insert!(%Order{total: 1})\n"), [2]),
        (_ex("  def c, do: MyApp.Repo.insert!(%MyApp.Shop.Order{total: 1})\n"), [2]),
        (_ex('  def c(rows), do: MyApp.Repo.insert_all("orders", rows)\n'), [2]),
        (_ex("  def c(rows), do: Repo.insert_all(Order, rows)\n"), [2]),
        (
            _ex(
                "  def c(a) do\n    cs = Order.changeset(%Order{}, a)\n    Repo.insert(cs)\n  end\n"
            ),
            [4],
        ),
        (_ex("  def c, do: %Order{} |> Ecto.Changeset.change(total: 1) |> Repo.insert!()\n"), [2]),
        (_ex("  def c(m, a), do: Multi.insert(m, :o, Order.changeset(%Order{}, a))\n"), [2]),
        (_ex('  def c, do: Repo.query!("INSERT INTO orders (a) VALUES (1)")\n'), [2]),
        # not an insert into orders
        (_ex("  def c, do: Repo.insert!(%Invoice{total: 1})\n"), []),
        (_ex("  def c(o), do: o |> Order.changeset(%{}) |> Repo.update()\n"), []),
        (_ex("  def c(cs), do: Repo.insert(cs)\n"), []),
        (_ex("  def c(a), do: %Order{} |> Invoice.changeset(a) |> Repo.insert()\n"), []),
        (_ex('  def c(rows), do: Repo.insert_all("invoices", rows)\n'), []),
        (_ex("  def c, do: Cache.insert(%Order{total: 1})\n"), []),
    ],
)
def test_ecto_inserts(source: str, found: list[int]) -> None:
    assert inserts("lib/a.ex", source, Target("orders")) == found


_SCHEMA = (
    'defmodule Shop.Order do\n  use Ecto.Schema\n  schema "orders" do\n'
    "    field :status, :string\n    field :state, :string, source: :legacy_state\n"
    "    belongs_to :customer, Customer\n    belongs_to :owner, User, foreign_key: :user_ref\n"
    "    timestamps()\n  end\n  def x, do: %Order{coupon: 1}\n  def y, do: %Invoice{total: 1}\nend\n"
)


@pytest.mark.parametrize(
    ("table", "column", "found"),
    [
        ("orders", "status", [4]),
        ("orders", "legacy_state", [5]),  # the field `state`'s source
        ("orders", "state", []),
        ("orders", "customer_id", [6]),
        ("orders", "user_ref", [7]),  # belongs_to's foreign_key
        ("orders", "owner_id", []),
        ("orders", "inserted_at", [8]),
        ("orders", "coupon", [10]),  # a struct of the schema
        ("orders", "total", []),  # %Invoice{total: …} is another table's
        ("invoices", "status", []),  # the schema is orders'
    ],
)
def test_proven_elixir_uses(table: str, column: str, found: list[int]) -> None:
    from guardrail.analysis.uses import proven_elixir_uses

    assert proven_elixir_uses("lib/order.ex", _SCHEMA, Target(table, column)) == found
