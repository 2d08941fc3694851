/**
 * Conversation commands: the one place each change to a conversation is validated (the actor's
 * role, the workspace, the input), written to PostgreSQL with its history rows and
 * notifications, and mirrored into the live document. REST, form actions, the collab projection,
 * the ingest worker and the snooze sweep all call these.
 */
export { CommandRefused, userActor, type Actor, type UserActor, type SystemActor, type CommandDeps, type CommandOptions } from './actor.ts';
export { assign, readAssignee, type AssignResult } from './assign.ts';
export { setStatus, readStatus, reopenConversations, mirrorReopened, type StatusInput, type StatusResult, type Reopening } from './status.ts';
export { snooze } from './snooze.ts';
export { setLabels, readLabels, acceptableLabels, type LabelsResult } from './labels.ts';
export { addNote } from './notes.ts';
