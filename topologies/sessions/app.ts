// Clickstream sessions: each user's clicks grouped into sessions (30 minutes of inactivity end one), one
// summary per closed session (duration, page views, distinct pages, converted or not), and the number of
// active users per minute. Everything runs in event time, so the results depend on the clicks only.
import { SessionWindows, StreamsBuilder, Suppressed, TimeWindows, app, serdes, type Topology } from "weir-streams";

export type Action = "view" | "search" | "add_to_cart" | "checkout" | "purchase";

/** One click of a user, keyed by `userId`; its event time is the record's timestamp. */
export interface Click {
  readonly userId: string;
  readonly page: string;
  readonly action: Action;
}

/** What a session holds while it is open; two sessions that a click bridges are merged. */
export interface SessionActivity {
  readonly events: number;
  readonly pageViews: number;
  /** The distinct pages of the session, sorted. */
  readonly pages: readonly string[];
  readonly purchases: number;
}

/** One per closed session, keyed by user id, with the session's end as its timestamp. */
export interface SessionSummary {
  readonly userId: string;
  readonly start: string;
  readonly end: string;
  readonly durationSeconds: number;
  readonly events: number;
  readonly pageViews: number;
  readonly distinctPages: number;
  readonly converted: boolean;
  readonly purchases: number;
}

/** One per minute, keyed by the minute's start, when the minute can no longer change. */
export interface ActiveUsers {
  readonly minute: string;
  readonly activeUsers: number;
  readonly clicks: number;
}

export interface SessionTopics {
  readonly clicks: string;
  readonly summaries: string;
  readonly activeUsers: string;
}

export const topics: SessionTopics = {
  clicks: process.env.SESSIONS_CLICKS_TOPIC ?? "clicks",
  summaries: process.env.SESSIONS_SUMMARIES_TOPIC ?? "session-summaries",
  activeUsers: process.env.SESSIONS_ACTIVE_USERS_TOPIC ?? "active-users-per-minute",
};

/**
 * A session ends after 30 minutes without a click. It is final once stream time passes its end + gap +
 * grace: a click may arrive up to 5 minutes late and still extend it (or merge it with the next one).
 */
export const SESSION_GAP = "30m";
export const SESSION_GRACE = "5m";
/** Clicks may arrive 10 s late for their minute. */
export const MINUTE_GRACE = "10s";
/**
 * How long the count of a minute waits for users' finals from other input partitions: each partition's task
 * closes its users' minutes at its own stream time, so finals for a minute can arrive after a later minute's.
 */
export const ACTIVE_USERS_GRACE = "2m";

const noActivity: SessionActivity = { events: 0, pageViews: 0, pages: [], purchases: 0 };

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

export function addClick(click: Click, s: SessionActivity): SessionActivity {
  return {
    events: s.events + 1,
    pageViews: s.pageViews + (click.action === "view" ? 1 : 0),
    pages: s.pages.includes(click.page) ? s.pages : union(s.pages, [click.page]),
    purchases: s.purchases + (click.action === "purchase" ? 1 : 0),
  };
}

export function mergeSessions(a: SessionActivity, b: SessionActivity): SessionActivity {
  return { events: a.events + b.events, pageViews: a.pageViews + b.pageViews, pages: union(a.pages, b.pages), purchases: a.purchases + b.purchases };
}

const iso = (ms: number) => new Date(ms).toISOString();

export function buildTopology(t: SessionTopics = topics): Topology {
  const builder = new StreamsBuilder();
  const clicks = builder.stream(t.clicks, { key: serdes.string(), value: serdes.json<Click>() });

  clicks
    .groupByKey()
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(SESSION_GAP, SESSION_GRACE))
    .aggregate(() => noActivity, (_user, click, s) => addClick(click, s), (_user, a, b) => mergeSessions(a, b), {
      store: "sessions",
      value: serdes.json<SessionActivity>(),
    })
    .suppress(Suppressed.untilWindowCloses(), { name: "closed-sessions", store: "closed-sessions" })
    .toStream()
    // A session merged away is a null here; it never reaches the output (suppress drops its final result).
    .filter((_, s) => s !== null, { name: "drop-merged-away" })
    .map((session, activity): [string, SessionSummary] => {
      const { start, end } = session.window;
      return [
        session.key,
        {
          userId: session.key,
          start: iso(start),
          end: iso(end),
          durationSeconds: (end - start) / 1000,
          events: activity.events,
          pageViews: activity.pageViews,
          distinctPages: activity.pages.length,
          converted: activity.purchases > 0,
          purchases: activity.purchases,
        },
      ];
    }, { name: "summarize" })
    .to(t.summaries, { key: serdes.string(), value: serdes.json<SessionSummary>() });

  // Active users per minute, in two steps that scale with the users: each user's clicks per minute (keyed
  // by user, final once the minute closes), then those finals re-keyed by minute and counted.
  clicks
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace("1m", MINUTE_GRACE))
    .count({ store: "user-minutes" })
    .suppress(Suppressed.untilWindowCloses(), { name: "closed-user-minutes", store: "closed-user-minutes" })
    .toStream()
    .map((userMinute, n): [string, number] => [iso(userMinute.window.start), n], { name: "key-by-minute" })
    // A user's final count carries the time of their last click in that minute, so it falls in the same
    // minute here.
    .groupByKey({ name: "user-minutes-by-minute", key: serdes.string(), value: serdes.int64() })
    .windowedBy(TimeWindows.ofSizeAndGrace("1m", ACTIVE_USERS_GRACE))
    .aggregate(() => ({ users: 0, clicks: 0 }), (_minute, n, a) => ({ users: a.users + 1, clicks: a.clicks + n }), {
      store: "active-users",
      value: serdes.json<{ users: number; clicks: number }>(),
    })
    .suppress(Suppressed.untilWindowCloses(), { name: "closed-minutes", store: "closed-minutes" })
    .toStream()
    .map((minute, a): [string, ActiveUsers] => [minute.key, { minute: minute.key, activeUsers: a.users, clicks: a.clicks }], { name: "active-users-record" })
    .to(t.activeUsers, { key: serdes.string(), value: serdes.json<ActiveUsers>() });

  return builder.build();
}

export default app({ applicationId: process.env.SESSIONS_APPLICATION_ID ?? "sessions", topology: buildTopology() });
