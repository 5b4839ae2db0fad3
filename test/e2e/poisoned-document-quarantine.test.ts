import { BedrockAgentClient, StartIngestionJobCommand } from "@aws-sdk/client-bedrock-agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BEDROCK_DATA_SOURCE_ID as DATA_SOURCE,
  BEDROCK_KNOWLEDGE_BASE_ID as KNOWLEDGE_BASE,
} from "../../infra/local/standins/bedrock-agent.js";
import { S3_KB_BUCKET as BUCKET, S3_POISONED_KEY as POISONED } from "../../infra/local/standins/s3.js";
import { approvalCardAfter, approvalIdIn, type Harness, startHarness } from "./harness.js";
import { freshSample, postSigned } from "./webhook-samples.js";

const POISONED_URI = `s3://${BUCKET}/${POISONED}`;

/** The Prompt Shields document attack again as another request (a new incident), with `changes` applied. */
function documentAttack(requestId: string, changes: (body: Record<string, unknown>) => void = () => {}) {
  const body = JSON.parse(freshSample("prompt-shields", "document-attack-with-document-refs.json"));
  body.context.requestId = requestId;
  changes(body);
  return JSON.stringify(body);
}

describe("quarantine-poisoned-document end to end (live)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: false, waitSeconds: 1, retrySeconds: 1 });
  });
  afterAll(async () => harness?.stop());
  const s3 = () => harness.standins.s3;
  const kb = () => harness.standins.bedrockAgent;

  it("a Prompt Shields document attack moves the poisoned S3 object to quarantine and the knowledge base drops it; undo restores it", async () => {
    const original = s3().object(BUCKET, POISONED);
    expect(original).toBeDefined();
    expect((await postSigned(harness, "prompt-shields", documentAttack("req_doc_attack_1"))).status).toBe(
      202,
    );
    const card = await approvalCardAfter(harness, 0);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("Quarantine the poisoned document");
    expect(blocks).toContain(POISONED_URI);
    expect(blocks).toContain("support-kb/support-kb-docs");
    // Nothing moved before the decision.
    expect(
      s3()
        .operations()
        .filter((operation) => operation !== "HeadObject"),
    ).toEqual([]);
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.approveQuarantine$/);
    const incident = await harness.approveAndSettle(approvalId);
    expect(incident).toMatchObject({ playbook: "quarantine-poisoned-document", status: "mitigated" });

    const quarantined = `quell-quarantine/${incident.id}/${POISONED}`;
    expect(s3().object(BUCKET, POISONED)).toBeUndefined();
    expect(s3().object(BUCKET, quarantined)).toMatchObject({
      etag: original?.etag,
      contentType: original?.contentType,
      metadata: original?.metadata,
      tags: original?.tags,
    });
    // The copy went out before the delete, and the delete only after the copy.
    const moves = s3()
      .operations()
      .filter((operation) => operation === "CopyObject" || operation === "DeleteObject");
    expect(moves).toEqual(["CopyObject", "DeleteObject"]);
    expect(kb().ingestionJobs()).toEqual([
      expect.objectContaining({
        knowledgeBaseId: KNOWLEDGE_BASE,
        dataSourceId: DATA_SOURCE,
        status: "COMPLETE",
      }),
    ]);
    expect(kb().indexedDocuments(KNOWLEDGE_BASE, DATA_SOURCE)).not.toContain(POISONED_URI);
    expect(kb().indexedDocuments(KNOWLEDGE_BASE, DATA_SOURCE).length).toBeGreaterThan(0);

    expect(await harness.quell(`undo ${incident.id}.quarantine`)).toContain("Undoing");
    await harness.incident(incident.id, (view) =>
      view.timeline.some((event) => event.kind === "action_undone"),
    );
    expect(s3().object(BUCKET, POISONED)).toMatchObject({
      etag: original?.etag,
      metadata: original?.metadata,
    });
    expect(s3().object(BUCKET, quarantined)).toBeUndefined();
    expect(kb().ingestionJobs()).toHaveLength(2);
    // Undo does not wait for its ingestion: finish it, as the service would on its own.
    await kb().completeIngestionJobs();
    expect(kb().indexedDocuments(KNOWLEDGE_BASE, DATA_SOURCE)).toContain(POISONED_URI);
  });

  it("a document outside any knowledge base (SharePoint) goes to a human, named, and nothing is written", async () => {
    const sharepoint = "https://contoso.sharepoint.com/sites/support/Shared%20Documents/refund-policy.docx";
    const body = documentAttack("req_doc_attack_2", (payload) => {
      const context = payload.context as { documentRefs: string[] };
      context.documentRefs = [
        "s3://support-kb-docs/kb/faq/refunds.md",
        sharepoint,
        "s3://support-kb-docs/kb/faq/check-in.md",
      ];
    });
    const writesBefore = s3()
      .operations()
      .filter((operation) => operation !== "HeadObject").length;
    expect((await postSigned(harness, "prompt-shields", body)).status).toBe(202);
    const card = await approvalCardAfter(harness, 1);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain("remove it by hand");
    expect(blocks).toContain("contoso.sharepoint.com");
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.removeByHand$/);
    await harness.approveAndSettle(approvalId);
    expect(
      s3()
        .operations()
        .filter((operation) => operation !== "HeadObject"),
    ).toHaveLength(writesBefore);
  });

  it("undo refuses when someone put a document at the original key again, and keeps the quarantined copy", async () => {
    const key = "kb/hotel-reviews/review-0141.html";
    const body = documentAttack("req_doc_attack_3", (payload) => {
      const context = payload.context as { documentRefs: string[] };
      context.documentRefs = [
        "s3://support-kb-docs/kb/faq/refunds.md",
        `s3://${BUCKET}/${key}`,
        "s3://support-kb-docs/kb/faq/check-in.md",
      ];
    });
    expect((await postSigned(harness, "prompt-shields", body)).status).toBe(202);
    const card = await approvalCardAfter(harness, 2);
    const incident = await harness.approveAndSettle(approvalIdIn(card.blocks));
    expect(s3().object(BUCKET, key)).toBeUndefined();
    s3().putByHand(BUCKET, key, "<html>a reviewed, clean replacement</html>");
    expect(await harness.quell(`undo ${incident.id}.quarantine`)).toContain("Undoing");
    const view = await harness.incident(incident.id, (current) =>
      current.timeline.some((event) => event.kind === "undo_failed"),
    );
    expect(JSON.stringify(view.timeline)).toContain("does not overwrite");
    expect(s3().object(BUCKET, `quell-quarantine/${incident.id}/${key}`)).toBeDefined();
    expect(s3().object(BUCKET, key)?.body.toString()).toContain("clean replacement");
  });

  it("a sync already running on the data source (409) is waited out: Quell's ingestion starts once it ends", async () => {
    const key = "kb/faq/check-in.md";
    const human = new BedrockAgentClient({
      endpoint: kb().url,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIAHUMANCONSOLE0000", secretAccessKey: "human" },
    });
    await human.send(
      new StartIngestionJobCommand({ knowledgeBaseId: KNOWLEDGE_BASE, dataSourceId: DATA_SOURCE }),
    );
    human.destroy();
    const body = documentAttack("req_doc_attack_4", (payload) => {
      const context = payload.context as { documentRefs: string[] };
      context.documentRefs = [
        "s3://support-kb-docs/kb/faq/refunds.md",
        `s3://${BUCKET}/${key}`,
        "s3://support-kb-docs/kb/faq/refunds.md.metadata.json",
      ];
    });
    expect((await postSigned(harness, "prompt-shields", body)).status).toBe(202);
    const card = await approvalCardAfter(harness, 3);
    const approvalId = approvalIdIn(card.blocks);
    const incidentId = approvalId.split(".")[0] as string;
    expect((await harness.click(approvalId, "approve")).status).toBe(200);
    await harness.incident(incidentId, (view) =>
      JSON.stringify(view.timeline).includes("is already ingesting"),
    );
    // The human's sync ends; Quell's retry starts its own job and the playbook goes on.
    await kb().completeIngestionJobs();
    const view = await harness.incident(incidentId, (current) => current.status === "mitigated");
    expect(view.timeline.filter((event) => event.kind === "action_applied").length).toBeGreaterThan(0);
    expect(s3().object(BUCKET, key)).toBeUndefined();
    expect(kb().indexedDocuments(KNOWLEDGE_BASE, DATA_SOURCE)).not.toContain(`s3://${BUCKET}/${key}`);
  });

  it("a delete applied but answered 500 is retried from what S3 holds: nothing copied or deleted twice", async () => {
    const key = "kb/faq/refunds.md";
    s3().faults.next({
      method: "DELETE",
      path: new RegExp(`/${BUCKET}/kb/faq/refunds\\.md$`),
      status: 500,
      applied: true,
    });
    const body = documentAttack("req_doc_attack_5", (payload) => {
      const context = payload.context as { documentRefs: string[] };
      context.documentRefs = [
        "s3://support-kb-docs/kb/faq/check-in.md",
        `s3://${BUCKET}/${key}`,
        "s3://support-kb-docs/kb/faq/check-in.md",
      ];
    });
    const before = s3().operations().length;
    expect((await postSigned(harness, "prompt-shields", body)).status).toBe(202);
    const card = await approvalCardAfter(harness, 4);
    const incident = await harness.approveAndSettle(approvalIdIn(card.blocks));
    const sent = s3().operations().slice(before);
    // The document and its .metadata.json: one copy and one delete each, the failed-but-applied delete included.
    expect(sent.filter((operation) => operation === "CopyObject")).toHaveLength(2);
    expect(sent.filter((operation) => operation === "DeleteObject")).toHaveLength(2);
    expect(s3().object(BUCKET, key)).toBeUndefined();
    expect(s3().object(BUCKET, `${key}.metadata.json`)).toBeUndefined();
    expect(s3().object(BUCKET, `quell-quarantine/${incident.id}/${key}.metadata.json`)).toBeDefined();
    const journal = incident.timeline
      .filter((event) => event.kind === "write_settled")
      .map((event) => event.summary);
    expect(journal.some((summary) => summary.includes("DeleteObject failed (500)"))).toBe(true);
  });

  it("Deny moves nothing", async () => {
    const body = documentAttack("req_doc_attack_6", (payload) => {
      const context = payload.context as { documentRefs: string[] };
      context.documentRefs = [
        "s3://support-kb-docs/kb/faq/refunds.md",
        POISONED_URI,
        "s3://support-kb-docs/kb/faq/check-in.md",
      ];
      (payload.result as { documentsAnalysis: { attackDetected: boolean }[] }).documentsAnalysis = [
        { attackDetected: false },
        { attackDetected: true },
        { attackDetected: false },
      ];
    });
    const before = s3()
      .operations()
      .filter((operation) => operation !== "HeadObject").length;
    expect((await postSigned(harness, "prompt-shields", body)).status).toBe(202);
    const card = await approvalCardAfter(harness, 5);
    const approvalId = approvalIdIn(card.blocks);
    expect(approvalId).toMatch(/\.approveQuarantine$/);
    expect((await harness.click(approvalId, "deny")).status).toBe(200);
    expect((await harness.submitDenyReason(approvalId, "Known test document")).status).toBe(200);
    await harness.incident(approvalId.split(".")[0] as string, (view) => view.status === "denied");
    expect(
      s3()
        .operations()
        .filter((operation) => operation !== "HeadObject"),
    ).toHaveLength(before);
    expect(s3().object(BUCKET, POISONED)).toBeDefined();
  });
});
