/**
 * `/webhooks/zoom/<connection id>`: Zoom's deliveries (POST) are answered by the HTTP front itself
 * (app/server/zoom-webhook.ts); anything else asked of the address is refused here.
 */
const refuse = () => Response.json({ error: "POST only" }, { status: 405, headers: { Allow: "POST", "Cache-Control": "no-store" } });

export const loader = refuse;
export const action = refuse;
