/** Slack action ids, in one place: cards render them, the Bolt app listens for them. */
export const SlackActionIds = {
  approve: "quell.approve",
  deny: "quell.deny",
  /** "Approve with comment…": opens the comment modal, then approves like Approve. */
  approveWithComment: "quell.approve_comment",
  /** Undo on an `auto` approval's card: restores what its action applied. */
  undo: "quell.undo",
} as const;

export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,20}$/;
