import { Module } from '@nestjs/common';
import { ClusterViewService } from './cluster-view.service.js';
import { DashboardController } from './dashboard.controller.js';

/** GET /dashboard on every replica, whatever its roles. */
@Module({
  controllers: [DashboardController],
  providers: [ClusterViewService],
})
export class DashboardModule {}
