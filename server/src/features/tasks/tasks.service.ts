import type { Access } from "../../auth/access.js";
import type { Notifier } from "../../realtime/notifier.js";
import type { Task, TaskKind, TaskModel } from "./tasks.model.js";

export interface TaskView {
  id: string;
  patientId: string;
  kind: TaskKind;
  refId: string;
  status: "open" | "done";
  createdAt: string;
}

export const toTaskView = (t: Task): TaskView => ({
  id: String(t._id),
  patientId: String(t.patientId),
  kind: t.kind,
  refId: String(t.refId),
  status: t.status,
  createdAt: t.createdAt.toISOString(),
});

/** Tasks for care teams. Creating one twice for the same record keeps the first. */
export function createTaskService(deps: { tasks: TaskModel; access: Access; notifier: Notifier }) {
  const { tasks, access, notifier } = deps;

  async function create(patientId: string, kind: TaskKind, refId: string): Promise<TaskView> {
    try {
      await tasks.create({ patientId, kind, refId, status: "open" });
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    const task = toTaskView((await tasks.findOne({ kind, refId }).lean())!);
    notifier.toUsers(await access.careTeamOf(patientId), "task:new", { task });
    return task;
  }

  async function openFor(patientIds: string[]): Promise<TaskView[]> {
    const docs = await tasks.find({ patientId: { $in: patientIds }, status: "open" }).sort({ createdAt: 1 }).lean();
    return docs.map(toTaskView);
  }

  return { create, openFor };
}

export type TaskService = ReturnType<typeof createTaskService>;
