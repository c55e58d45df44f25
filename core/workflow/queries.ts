/**
 * Queries: the server delivers them either attached to a workflow task (`queries`, answered in
 * RespondWorkflowTaskCompleted.query_results) or alone (`query`, the legacy form, answered with
 * RespondQueryTaskCompleted). Both reach the workflow as queryWorkflow jobs in an activation of
 * their own, after every other job of the task.
 */
import * as proto from '../connection/proto.js';
import type { IQueryResult, IWorkflowActivationJob, IWorkflowQuery, IWorkflowQueryResult } from './proto-types.js';

const QueryResultType = proto.temporal.api.enums.v1.QueryResultType;

/** The query id the official core gives the legacy query; the workflow library echoes it back. */
export const LEGACY_QUERY_ID = 'legacy_query';

/** Fields of RespondQueryTaskCompletedRequest that answer a legacy query (the caller adds token and namespace). */
export interface LegacyQueryResponse {
  completedType: proto.temporal.api.enums.v1.QueryResultType;
  queryResult?: proto.temporal.api.common.v1.IPayloads;
  errorMessage?: string;
  failure?: proto.temporal.api.failure.v1.IFailure;
}

export function queryJob(queryId: string, query: IWorkflowQuery): IWorkflowActivationJob {
  return {
    queryWorkflow: {
      queryId,
      queryType: query.queryType ?? '',
      arguments: query.queryArgs?.payloads ?? [],
      headers: query.header?.fields ?? {},
    },
  };
}

/** A `respondToQuery` command as the server's WorkflowQueryResult. */
export function toWorkflowQueryResult(result: IQueryResult): IWorkflowQueryResult {
  if (result.succeeded) {
    const response = result.succeeded.response;
    return { resultType: QueryResultType.QUERY_RESULT_TYPE_ANSWERED, answer: { payloads: response ? [response] : [] } };
  }
  const failure = result.failed ?? { message: 'Query failed without a failure' };
  return { resultType: QueryResultType.QUERY_RESULT_TYPE_FAILED, errorMessage: failure.message ?? '', failure };
}

export function toLegacyQueryResponse(result: IWorkflowQueryResult): LegacyQueryResponse {
  if (result.resultType === QueryResultType.QUERY_RESULT_TYPE_ANSWERED) {
    return { completedType: QueryResultType.QUERY_RESULT_TYPE_ANSWERED, queryResult: result.answer ?? { payloads: [] } };
  }
  return {
    completedType: QueryResultType.QUERY_RESULT_TYPE_FAILED,
    errorMessage: result.errorMessage ?? '',
    failure: result.failure ?? undefined,
  };
}
