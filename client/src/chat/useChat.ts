import { useSyncExternalStore } from "react";
import type { ChatSnapshot, ChatStore } from "./store.js";

export function useChat(store: ChatStore): ChatSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}
