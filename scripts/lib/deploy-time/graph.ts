import type { SynthResource } from "../synthesize";

/** One step of a fresh `pulumi up`: it starts when everything in `waitsOn` has finished. */
export interface Task {
  readonly id: string;
  readonly seconds: number;
  readonly waitsOn: readonly string[];
}

export interface CriticalPath {
  /** Wall-clock seconds of the whole update: when the last task finishes. */
  readonly seconds: number;
  /** Sum of every task's seconds, as if nothing ran in parallel. */
  readonly serialSeconds: number;
  /** The tasks on the longest chain, first to last, with when each starts. */
  readonly chain: readonly { readonly id: string; readonly seconds: number; readonly startSeconds: number }[];
}

/**
 * Earliest start and finish of every task when each runs as soon as what it waits on is done (the
 * engine's default: unbounded parallelism), and the chain that decides the total. Waits on ids that
 * are not tasks (the root stack) are ignored.
 */
export function criticalPath(tasks: readonly Task[]): CriticalPath {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const finish = new Map<string, number>();
  const cause = new Map<string, string | undefined>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = finish.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) throw new Error(`dependency cycle through ${id}`);
    visiting.add(id);
    const task = byId.get(id)!;
    let start = 0;
    let latest: string | undefined;
    for (const wait of task.waitsOn) {
      if (!byId.has(wait)) continue;
      const done = visit(wait);
      if (latest === undefined || done > start) {
        start = done;
        latest = wait;
      }
    }
    visiting.delete(id);
    cause.set(id, latest);
    finish.set(id, start + task.seconds);
    return start + task.seconds;
  };
  let last: string | undefined;
  for (const task of tasks) if (last === undefined || visit(task.id) > finish.get(last)!) last = task.id;

  const chain: { id: string; seconds: number; startSeconds: number }[] = [];
  for (let id = last; id !== undefined; id = cause.get(id)) {
    const task = byId.get(id)!;
    chain.unshift({ id, seconds: task.seconds, startSeconds: finish.get(id)! - task.seconds });
  }
  return {
    seconds: last === undefined ? 0 : finish.get(last)!,
    serialSeconds: tasks.reduce((sum, task) => sum + task.seconds, 0),
    chain,
  };
}

/** Id of the task that stands for a component's start: its own dependencies are done. */
export const componentStart = (urn: string) => `start:${urn}`;

/**
 * The creation graph of a synthesized stack as tasks. A custom resource waits on its dependencies
 * (the SDK records explicit `dependsOn` and the resources its inputs come from in one list), its
 * provider and its parent. A component is two tasks: its start waits on what the component waits on,
 * and its id completes when all its children do. A child of a component waits on the component's
 * start, because the SDK registers a child only once its parent's URN exists, and the parent's
 * registration waits on the parent's dependencies.
 */
export function tasksOf(resources: readonly SynthResource[], secondsOf: (resource: SynthResource) => number): Task[] {
  const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
  const children = new Map<string, string[]>();
  for (const resource of resources) {
    if (resource.parent && byUrn.has(resource.parent)) children.set(resource.parent, [...(children.get(resource.parent) ?? []), resource.urn]);
  }
  const parentWait = (resource: SynthResource): string[] => {
    const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
    if (!parent) return [];
    return [parent.custom ? parent.urn : componentStart(parent.urn)];
  };
  return resources.flatMap((resource): Task[] => {
    const waits = [...resource.dependsOn, ...(resource.provider ? [resource.provider] : []), ...parentWait(resource)];
    if (resource.custom) return [{ id: resource.urn, seconds: secondsOf(resource), waitsOn: waits }];
    return [
      { id: componentStart(resource.urn), seconds: 0, waitsOn: waits },
      { id: resource.urn, seconds: 0, waitsOn: [componentStart(resource.urn), ...(children.get(resource.urn) ?? [])] },
    ];
  });
}
