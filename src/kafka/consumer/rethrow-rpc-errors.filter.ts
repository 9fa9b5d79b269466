import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';

/**
 * Nest's default RPC filter turns a handler error into a generic
 * "Internal server error" object. The group servers need the real error to
 * decide on retries and to write it into the dead letter, so handlers of a
 * group server pass errors through unchanged (`@UseFilters(RethrowRpcErrorsFilter)`).
 */
@Catch()
export class RethrowRpcErrorsFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
