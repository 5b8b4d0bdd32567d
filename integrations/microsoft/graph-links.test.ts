import { describe, expect, it } from "vitest";
import { graphClient } from "./graph.server.ts";

// The provider hands Graph's absolute `@odata.nextLink` to the Graph client as it is: the client
// must keep its host, version, path and `$skiptoken` (it recognises absolute links over https).
describe("Graph page links through the Graph client", () => {
  it("keeps an absolute https nextLink as Graph wrote it", () => {
    const client = graphClient({ loginUrl: "https://login.microsoftonline.com", graphUrl: "https://graph.microsoft.com/v1.0" }, "t", { provider: "microsoft", operation: "test", idempotent: true });
    const link = "https://graph.microsoft.com/v1.0/me/onlineMeetings/MSo1N2Fh/attendanceReports/c9b6/attendanceRecords?$skiptoken=RFNwdAIAAQAAAD8";
    const req = client.api(link) as unknown as { buildFullUrl: () => string };
    expect(req.buildFullUrl()).toBe(link);
  });
});
