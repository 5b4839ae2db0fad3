import { definePlaybook } from "./define.js";

const DAY = 24 * 3600;
const FIND = "$.steps.findSource.output";
/** How long Quell waits for the knowledge bases to finish re-ingesting before it reports a failure. */
const INGESTION_MAX_WAIT_SECONDS = 2 * 3600;

const documentFacts = {
  Document: "$.alert.details.poisonedDocument",
  "All poisoned": "$.alert.details.poisonedDocuments",
  App: "$.alert.details.app",
  Detector: "$.alert.source",
  Alert: "$.alert.title",
} as const;

const ingestionStatus = {
  type: "action",
  action: "bedrock-kb.ingestion-status",
  input: {
    dataSources: { path: `${FIND}.dataSources` },
    since: { path: "$.steps.quarantine.output.requestedAt" },
    maxWaitSeconds: INGESTION_MAX_WAIT_SECONDS,
  },
} as const;

/**
 * Indirect prompt injection through a retrieved document (OWASP LLM01 via LLM08): a detector screened the
 * documents an app retrieved and names the poisoned one (`poisonedDocument`). When it is an S3 object that a
 * Bedrock knowledge base ingests, quarantine it (moved out of every data source, with its metadata, the original
 * deleted only once the copy is checked) and re-ingest, so retrieval stops serving it; wait until the knowledge
 * bases have dropped it. Undo puts it back and re-ingests. Documents elsewhere (SharePoint, the web, an app's own
 * store) go to a human, named. Takes only prompt-injection alerts that name a poisoned document; the others go to
 * tighten-guardrail.
 */
export const quarantinePoisonedDocument = definePlaybook({
  name: "quarantine-poisoned-document",
  description:
    "Quarantine a poisoned document out of the Bedrock knowledge bases that serve it and re-ingest them, with approval.",
  handles: ["prompt_injection"],
  onlyWithDetail: "poisonedDocument",
  startAt: "findSource",
  steps: {
    findSource: {
      type: "action",
      action: "bedrock-kb.find-document-source",
      input: { documentRef: { path: "$.alert.details.poisonedDocument" } },
      next: "sourceFound",
      onError: "removeByHand",
    },
    sourceFound: {
      type: "choice",
      choices: [{ when: { path: `${FIND}.quarantinable`, equals: true }, next: "approveQuarantine" }],
      otherwise: "removeByHand",
    },
    approveQuarantine: {
      type: "approval",
      policy: "one",
      title: "Quarantine the poisoned document out of the knowledge base",
      plan: [
        "Copy the document shown below (with its metadata, tags and .metadata.json file) to quell-quarantine/<incident>/ in its bucket (or the configured quarantine bucket), check the copy, then delete the original (s3:CopyObject, DeleteObject).",
        "Start an ingestion job on each data source shown (bedrock:StartIngestionJob): the knowledge base drops the document, and retrieval stops serving it. Quell waits for the jobs and reports here.",
        "Until it is restored, answers that relied on this document lose it.",
        "Undo (/quell undo; the thread names the run) moves it back and re-ingests; it refuses if a document exists at that key again.",
      ],
      facts: { ...documentFacts, "Data sources": `${FIND}.dataSourceNames` },
      timeoutSeconds: DAY,
      onApprove: "quarantine",
    },
    quarantine: {
      type: "action",
      action: "bedrock-kb.quarantine-document",
      input: {
        documentRef: { path: "$.alert.details.poisonedDocument" },
        dataSources: { path: `${FIND}.dataSources` },
        incidentId: { path: "$.incidentId" },
      },
      next: "quarantineSent",
    },
    // A dry run sent nothing: there is no ingestion to wait for.
    quarantineSent: {
      type: "choice",
      choices: [{ when: { path: "$.steps.quarantine.mode", equals: "planned" }, next: "quarantinePlanned" }],
      otherwise: "waitForIngestion",
    },
    waitForIngestion: { type: "wait", seconds: 30, next: "pollIngestion" },
    // Polled quietly (each answer would flood the timeline); the outcome is read once more, and recorded, below.
    pollIngestion: { ...ingestionStatus, quiet: true, next: "ingestionSettled" },
    ingestionSettled: {
      type: "choice",
      choices: [
        {
          when: { path: "$.steps.pollIngestion.output.settled", equals: "waiting" },
          next: "waitForIngestion",
        },
      ],
      otherwise: "ingestionOutcome",
    },
    ingestionOutcome: { ...ingestionStatus, next: "ingestionComplete" },
    ingestionComplete: {
      type: "choice",
      choices: [
        {
          when: { path: "$.steps.ingestionOutcome.output.settled", equals: "complete" },
          next: "documentDropped",
        },
      ],
      otherwise: "ingestionFailed",
    },
    removeByHand: {
      type: "approval",
      policy: "one",
      title: "Poisoned document: remove it by hand",
      plan: [
        "Quell quarantines S3 documents of Amazon Bedrock knowledge bases it can reach; this document is elsewhere or cannot be moved out of its data source (see Why).",
        "Remove the document from its store (SharePoint, web crawl, the app's own index) and re-index, then Approve to record it.",
        "Deny records that nothing was done.",
      ],
      facts: { ...documentFacts, Why: `${FIND}.why` },
      timeoutSeconds: DAY,
      onApprove: "removedByHand",
    },
    documentDropped: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The poisoned document is quarantined and the knowledge bases no longer hold it.",
    },
    quarantinePlanned: {
      type: "succeed",
      outcome: "mitigated",
      summary: "Dry run: the quarantine was planned, nothing was moved.",
    },
    ingestionFailed: {
      type: "fail",
      error: "IngestionNotComplete",
      cause:
        "The document is quarantined, but re-ingestion failed or did not finish: the knowledge base may still serve it. Start a sync by hand.",
    },
    removedByHand: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The poisoned document was removed by hand; confirmed in Quell.",
    },
  },
});
