/** A titled card holding a list, with a sentence shown when the list is empty. */
export function ListCard<T>({
  id,
  title,
  empty,
  items,
  keyOf,
  children,
}: {
  id: string;
  title: string;
  empty: string;
  items: T[];
  keyOf: (item: T) => string;
  children: (item: T) => React.ReactNode;
}) {
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {items.length === 0 ? <p className="muted">{empty}</p> : null}
      <ul className="list">
        {items.map((item) => (
          <li key={keyOf(item)}>{children(item)}</li>
        ))}
      </ul>
    </section>
  );
}
