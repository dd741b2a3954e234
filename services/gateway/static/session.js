// What every page may need: the signed-in user and unread counts, and live frames.
import { createContext, useContext, useEffect } from "./vendor/preact-htm.js";
import * as live from "./live.js";

export const Session = createContext(null);
/** {me, setMe, refreshMe, unread, refreshUnread}; me is null when logged out. */
export const useSession = () => useContext(Session);

/** Calls fn(frame) on every live frame of the given types, and on "reload". */
export function useLive(types, fn) {
  useEffect(() => live.onFrame((frame) => (frame.type === "reload" || types.includes(frame.type)) && fn(frame)), []);
}
